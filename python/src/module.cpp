// SPDX-License-Identifier: MIT
// matopt._matopt: the extension part of the Python package (docs/python.md). Wiring only: every
// function calls the public C++ API; matopt/__init__.py adds the pandas conversions.
#include <pybind11/pybind11.h>

#include <csignal>
#include <exception>

#include "common.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/version.hpp"
#include "matopt/optimize/oracle.hpp"

namespace matopt::python {

namespace {


void on_sigint(int) { request_cancel(); }

// Raises matopt.errors.<name>(message, *extra) (the classes live in Python so that they can
// inherit from ValueError / OSError and carry attributes).
void raise_python(const char* name, const char* message, py::object extra = py::none()) {
  py::object cls = py::module_::import("matopt.errors").attr(name);
  py::object exc = extra.is_none() ? cls(message) : cls(message, extra);
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

py::list problems_to_python(const IngestError& e) {
  py::list out;
  for (const IngestProblem& p : e.problems()) {
    py::dict d;
    d["file"] = p.where.file;
    d["row"] = p.where.row;
    d["column"] = p.where.column;
    d["value"] = p.where.value;
    d["message"] = p.message;
    d["text"] = format_location(p.where, p.message);
    out.append(d);
  }
  return out;
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Cancelled&) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
  } catch (const IngestError& e) {
    raise_python("IngestError", e.what(), problems_to_python(e));
  } catch (const InvalidArgument& e) {
    raise_python("InvalidArgument", e.what());
  } catch (const OracleError& e) {
    raise_python("OracleError", e.what());
  } catch (const DataError& e) {
    raise_python("DataError", e.what());
  } catch (const IOError& e) {
    raise_python("IOError", e.what());
  } catch (const Error& e) {
    raise_python("Error", e.what());
  }
}

}  // namespace

SigintToCancel::SigintToCancel() {
  py::module_ threading = py::module_::import("threading");
  if (!threading.attr("current_thread")().is(threading.attr("main_thread")())) return;
  py::module_ signal = py::module_::import("signal");
  if (!signal.attr("getsignal")(SIGINT).is(signal.attr("default_int_handler"))) return;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  installed_ = sigaction(SIGINT, &sa, &previous_) == 0;
  clear_cancel();
}

SigintToCancel::~SigintToCancel() {
  if (installed_) sigaction(SIGINT, &previous_, nullptr);
}

CsvTable table_from_columns(const std::string& name, const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& columns) {
  if (header.size() != columns.size()) throw InvalidArgument(name + ": header and columns differ in number");
  CsvTable t;
  t.file = name;
  t.header = header;
  const std::size_t n = columns.empty() ? 0 : columns[0].size();
  for (const auto& c : columns)
    if (c.size() != n) throw InvalidArgument(name + ": columns differ in length");
  t.rows.assign(n, std::vector<std::string>(columns.size()));
  for (std::size_t c = 0; c < columns.size(); ++c)
    for (std::size_t r = 0; r < n; ++r) t.rows[r][c] = columns[c][r];
  return t;
}

}  // namespace matopt::python

PYBIND11_MODULE(_matopt, m) {
  using namespace matopt::python;
  m.doc() = "Extension part of the matopt package (use `import matopt`; see docs/python.md).";
  m.attr("__version__") = matopt::version();
  py::register_exception_translator(&translate);
  bind_core(m);
  bind_models(m);
  bind_campaign(m);
}
