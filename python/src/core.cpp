// SPDX-License-Identifier: MIT
// Bindings of the core and featurize layers: Composition, featurize, featurizer names, verbosity.
#include <pybind11/numpy.h>

#include <string_view>

#include "common.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/log.hpp"
#include "matopt/featurize/featurizer.hpp"

namespace matopt::python {

namespace {

py::dict fractions_dict(const Composition& c) {
  py::dict d;
  const auto z = c.elements();
  const auto x = c.fractions();
  for (std::size_t i = 0; i < z.size(); ++i) d[py::str(std::string(element_symbol(z[i])))] = x[i];
  return d;
}

std::vector<std::string> element_list(const Composition& c) {
  std::vector<std::string> out;
  for (auto z : c.elements()) out.emplace_back(element_symbol(z));
  return out;
}

/// UTF-8 views of the formulas, valid while `owner` lives. The GIL is released while they are
/// featurized; the tuple (immutable, holding a reference to every string) keeps the text alive even
/// if another thread changes the caller's list meanwhile, and Python caches each string's UTF-8 form
/// inside the string object, so no text is copied.
struct FormulaViews {
  py::tuple owner;
  std::vector<std::string_view> views;
};

FormulaViews formula_views(const py::list& formulas) {
  FormulaViews out;
  out.owner = py::reinterpret_steal<py::tuple>(PySequence_Tuple(formulas.ptr()));
  if (!out.owner) throw py::error_already_set();
  out.views.reserve(out.owner.size());
  for (py::handle h : out.owner) {
    if (!PyUnicode_Check(h.ptr()))
      throw py::type_error("featurize: formulas must be strings (got " + std::string(py::str(h.get_type())) + ")");
    Py_ssize_t len = 0;
    const char* s = PyUnicode_AsUTF8AndSize(h.ptr(), &len);
    if (s == nullptr) throw py::error_already_set();
    out.views.emplace_back(s, static_cast<std::size_t>(len));
  }
  return out;
}

py::tuple featurize_list(const py::list& formulas, const std::string& features, unsigned threads, bool impute,
                         const std::string& column) {
  FeaturizerOptions fo;
  fo.impute_missing = impute;
  std::unique_ptr<Featurizer> f = make_featurizer(features, fo);
  const FormulaViews text = formula_views(formulas);
  const std::vector<std::string_view>& views = text.views;
  const auto n = static_cast<py::ssize_t>(views.size());
  if (f->needs_fit()) {
    // `fractions` learns its element list from these formulas first, as `matopt featurize` does.
    std::vector<Composition> comps(views.size());
    without_gil([&] {
      for (std::size_t i = 0; i < views.size(); ++i) {
        try {
          Composition::parse_into(views[i], comps[i]);
        } catch (const FormulaError& e) {
          throw DataError(format_location({"", i + 2, column, ""}, e.what()));
        }
      }
      f->fit(comps);
      return 0;
    });
  }
  py::array_t<double> out({n, static_cast<py::ssize_t>(f->size())});
  double* data = out.mutable_data();
  without_gil([&] {
    featurize_formulas(*f, views, data, threads, 2, column);
    return 0;
  });
  return py::make_tuple(out, f->labels());
}

}  // namespace

void bind_core(py::module_& m) {
  py::class_<Composition>(m, "Composition", R"(A chemical composition: elements with atomic fractions summing to 1.

Composition(formula) parses a formula such as "Fe2O3", "Fe0.7Ni0.3", "Mg3[Fe(CN)6]2",
"CuSO4·5H2O" or '{"Fe":0.7,"Ni":0.3}' (docs/featurizers.md lists the syntax). A formula that
cannot be parsed raises matopt.DataError (a ValueError) with the position, token and reason, the
same text the command line prints. Two compositions are equal (==) when they have the same
elements and every fraction agrees within 1e-9.)")
      .def(py::init([](const std::string& formula) { return Composition::parse(formula); }), py::arg("formula"),
           "Parses `formula`; raises matopt.DataError when it is not a formula.")
      .def_property_readonly("fractions", &fractions_dict,
                             "dict {element symbol: atomic fraction}, in ascending atomic number; sums to 1.")
      .def_property_readonly("elements", &element_list, "Element symbols, ascending atomic number.")
      .def_property_readonly("reduced_formula", &Composition::reduced_formula,
                             "Integer formula when the amounts are small integer ratios (\"Fe2O3\"), else the fractional formula.")
      .def("formula", &Composition::formula, py::arg("digits") = 15,
           "Fractional formula in ascending-Z order with up to `digits` significant digits (\"Fe0.7Ni0.3\").")
      .def("fraction", [](const Composition& c, const std::string& symbol) {
             const int z = element_z(symbol);
             if (z == 0) throw InvalidArgument("'" + symbol + "' is not an element symbol");
             return c.fraction(z);
           }, py::arg("element"), "Atomic fraction of `element` (a symbol), 0.0 when absent.")
      .def("almost_equal", &Composition::almost_equal, py::arg("other"), py::arg("tolerance") = 1e-9,
           "Same elements and every fraction within `tolerance` (absolute).")
      .def("__eq__", [](const Composition& a, const Composition& b) { return a.almost_equal(b); }, py::is_operator())
      .def("__len__", &Composition::size)
      .def("__repr__", [](const Composition& c) { return "Composition('" + c.formula() + "')"; })
      .def("__str__", [](const Composition& c) { return c.reduced_formula(); });
  // Equality with a tolerance cannot be consistent with a hash: compositions are not hashable.
  m.attr("Composition").attr("__hash__") = py::none();

  m.def("_featurize", &featurize_list, py::arg("formulas"), py::arg("features"), py::arg("threads"),
        py::arg("impute_missing"), py::arg("column"));
  m.def("featurizer_names", &featurizer_names, "Names of the composition featurizers (join several with '+').");
  m.def("set_verbosity", &set_verbosity, py::arg("level"),
        "Log level of matopt's messages on stderr: 0 warnings (default), 1 info, 2 debug, 3 trace.");
  m.def("_request_cancel", &request_cancel);
}

}  // namespace matopt::python
