// SPDX-License-Identifier: MIT
// Bindings of the models layer: Model.train / predict / save / load on tables of cell text.
#include <pybind11/numpy.h>

#include <cmath>
#include <optional>
#include <variant>

#include "common.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/models/model.hpp"

namespace matopt::python {

namespace {

struct TrainArgs {
  std::vector<std::string> targets, process;
  std::string model, options, features;
  std::optional<std::string> composition, id;
  bool no_composition = false, calibrate = false, impute = true;
  int folds = 5;
  std::uint64_t seed = 0;
};

/// `source` is a table in memory or the path of a .csv/.h5 file (read as `matopt train` reads it).
Model train(const std::variant<CsvTable, std::string>& source, const TrainArgs& a) {
  CsvImportOptions io;
  io.composition = a.composition;
  io.id = a.id;
  io.targets = a.targets;
  io.process = a.process;
  io.no_composition = a.no_composition;
  ModelOptions o;
  if (!a.model.empty()) o.model = a.model;
  o.surrogate_options = a.options;
  // As `matopt train --features`: with the auto engine it replaces every default candidate's own set.
  if (!a.features.empty()) (o.model == "auto" ? o.auto_features : o.features.features) = a.features;
  o.features.impute_missing = a.impute;
  o.calibrate = a.calibrate;
  o.calibration_folds = a.folds;
  o.seed = a.seed;
  return without_gil([&] {
    const Dataset data = std::holds_alternative<CsvTable>(source) ? read_dataset_table(std::get<CsvTable>(source), io)
                                                                   : read_dataset(std::get<std::string>(source), io);
    return Model::train(data, a.targets, o);
  });
}

/// Same columns as `matopt predict` (prediction_table): id, then per target mean, std, ..., see docs/models.md.
py::tuple predict(const Model& m, const std::variant<CsvTable, std::string>& source, const std::optional<std::string>& id,
                  bool domain) {
  const CsvImportOptions io = model_input_options(m, id);
  Dataset data;
  PredictionTable table;
  without_gil([&] {
    data = std::holds_alternative<CsvTable>(source) ? read_dataset_table(std::get<CsvTable>(source), io)
                                                    : read_dataset(std::get<std::string>(source), io);
    table = prediction_table(m, data, domain);
    return 0;
  });
  const auto n = static_cast<py::ssize_t>(data.rows());
  const auto cols = static_cast<py::ssize_t>(table.columns.size());
  py::array_t<double> values({n, cols});
  auto v = values.mutable_unchecked<2>();
  for (py::ssize_t r = 0; r < n; ++r)
    for (py::ssize_t c = 0; c < cols; ++c) v(r, c) = table.values(r, c);
  const std::vector<std::string>& header = table.columns;
  return py::make_tuple(data.ids, header, values);
}

/// A path (str) or a table given as (name, header, columns of cell text).
std::variant<CsvTable, std::string> source_of(const py::object& data) {
  if (py::isinstance<py::str>(data)) return data.cast<std::string>();
  const auto t = data.cast<std::tuple<std::string, std::vector<std::string>, std::vector<std::vector<std::string>>>>();
  return table_from_columns(std::get<0>(t), std::get<1>(t), std::get<2>(t));
}

}  // namespace

void bind_models(py::module_& m) {
  m.attr("_default_model") = ModelOptions{}.model;
  py::class_<Model>(m, "_Model")
      .def_static("train", [](const py::object& data, const py::dict& kw) {
        TrainArgs a;
        a.targets = kw["targets"].cast<std::vector<std::string>>();
        a.process = kw["process"].cast<std::vector<std::string>>();
        a.model = kw["model"].cast<std::string>();
        a.options = kw["options"].cast<std::string>();
        a.features = kw["features"].cast<std::string>();
        a.composition = kw["composition"].cast<std::optional<std::string>>();
        a.id = kw["id"].cast<std::optional<std::string>>();
        a.no_composition = kw["no_composition"].cast<bool>();
        a.calibrate = kw["calibrate"].cast<bool>();
        a.impute = kw["impute_missing"].cast<bool>();
        a.folds = kw["folds"].cast<int>();
        a.seed = kw["seed"].cast<std::uint64_t>();
        return train(source_of(data), a);
      })
      .def("predict", [](const Model& model, const py::object& data, const std::optional<std::string>& id, bool domain) {
        return predict(model, source_of(data), id, domain);
      })
      .def("save", [](const Model& model, const std::string& path) { model.save(path); })
      .def_static("load", [](const std::string& path) { return Model::load(path); })
      .def_property_readonly("targets", [](const Model& model) {
        std::vector<std::string> out;
        for (const auto& t : model.targets()) out.push_back(t.name);
        return out;
      })
      .def_property_readonly("classification", [](const Model& model) {
        std::vector<bool> out;
        for (const auto& t : model.targets()) out.push_back(t.classification);
        return out;
      })
      .def_property_readonly("model", [](const Model& model) { return model.options().model; })
      .def_property_readonly("feature_names", [](const Model& model) { return model.pipeline().labels(); })
      .def_property_readonly("composition_column", &Model::composition_column)
      .def_property_readonly("process_columns", &Model::process_columns);
}

}  // namespace matopt::python
