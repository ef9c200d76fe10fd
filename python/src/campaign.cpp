// SPDX-License-Identifier: MIT
// Bindings of the optimize and campaign layers: DesignSpace (sample, validate) and Campaign.
#include <pybind11/eigen.h>

#include <cmath>
#include <optional>

#include "common.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/log.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt::python {

namespace {

py::tuple table_to_python(const CsvTable& t) { return py::make_tuple(t.header, t.rows); }

/// Cell of a design point as Python sees it: the label for categorical parameters, else the number.
py::object coordinate_value(const DesignSpace& space, int index, double value) {
  const int ne = space.num_elements();
  if (index >= ne) {
    const auto& p = space.spec().process[static_cast<std::size_t>(index - ne)];
    if (p.kind == ParameterKind::Categorical) {
      const long k = std::lround(value);
      if (k >= 0 && k < static_cast<long>(p.categories.size())) return py::str(p.categories[static_cast<std::size_t>(k)]);
      return py::none();
    }
    if (p.kind == ParameterKind::Integer) return py::int_(std::lround(value));
  }
  return py::float_(value);
}

/// Points (rows) as {coordinate name: list of values}.
py::dict points_to_columns(const DesignSpace& space, const Eigen::MatrixXd& points) {
  py::dict out;
  const auto names = space.coordinate_names();
  for (int c = 0; c < static_cast<int>(names.size()); ++c) {
    py::list col;
    for (Eigen::Index r = 0; r < points.rows(); ++r) col.append(coordinate_value(space, c, points(r, c)));
    out[py::str(names[static_cast<std::size_t>(c)])] = col;
  }
  return out;
}

py::list violations(const DesignSpace& space, const Eigen::VectorXd& point) {
  py::list out;
  for (const Violation& v : space.validate(point)) out.append(py::str(v.field + ": " + v.message));
  return out;
}

py::dict summary_to_python(const IngestSummary& s) {
  py::dict d;
  d["rows"] = s.rows;
  d["added"] = s.added;
  d["failed"] = s.failed;
  d["unchanged"] = s.unchanged;
  d["closed"] = s.closed;
  d["changed"] = s.changed();
  return d;
}

/// Measurements as columns: id, proposal_id, round, status, composition, coordinates, outputs, source.
py::dict measurements_to_columns(const Campaign& c) {
  const DesignSpace& space = c.space();
  const auto& ms = c.measurements();
  py::list id, proposal, round, status, formula, source;
  Eigen::MatrixXd points(static_cast<Eigen::Index>(ms.size()), space.dimension());
  const auto n_out = static_cast<Eigen::Index>(space.output_names().size());
  Eigen::MatrixXd outputs(static_cast<Eigen::Index>(ms.size()), n_out);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const MeasurementRecord& m = ms[i];
    id.append(m.id);
    proposal.append(m.proposal_id);
    round.append(m.round);
    status.append(m.failed ? "failed" : "ok");
    formula.append(m.formula);
    source.append(m.source);
    points.row(static_cast<Eigen::Index>(i)) = m.point.transpose();
    outputs.row(static_cast<Eigen::Index>(i)) = m.outputs.transpose();
  }
  py::dict out;
  out["id"] = id;
  out["proposal_id"] = proposal;
  out["round"] = round;
  out["status"] = status;
  if (space.has_composition()) out[py::str(space.spec().composition.column)] = formula;
  for (auto item : points_to_columns(space, points)) out[item.first] = item.second;
  for (Eigen::Index k = 0; k < n_out; ++k) {
    py::list col;
    for (Eigen::Index r = 0; r < outputs.rows(); ++r) col.append(outputs(r, k));
    out[py::str(space.output_names()[static_cast<std::size_t>(k)])] = col;
  }
  out["source"] = source;
  return out;
}

void bind_design_space(py::module_& m) {
  py::class_<DesignSpace>(m, "_DesignSpace")
      .def_static("from_json", [](const std::string& text, const std::string& base_dir) {
        return DesignSpace::from_json_text(text, base_dir);
      })
      .def("to_json", &DesignSpace::to_json_text)
      .def_property_readonly("coordinate_names", &DesignSpace::coordinate_names)
      .def_property_readonly("output_names", &DesignSpace::output_names)
      .def_property_readonly("num_elements", &DesignSpace::num_elements)
      .def_property_readonly("has_pool", &DesignSpace::has_pool)
      .def_property_readonly("kinds", [](const DesignSpace& s) {
        std::vector<std::string> out(static_cast<std::size_t>(s.num_elements()), "fraction");
        for (const auto& p : s.spec().process)
          out.push_back(p.kind == ParameterKind::Categorical ? "categorical"
                        : p.kind == ParameterKind::Integer   ? "integer"
                                                             : "continuous");
        return out;
      })
      .def("categories", [](const DesignSpace& s, int index) {
        const int ne = s.num_elements();
        if (index < ne) return std::vector<std::string>{};
        return s.spec().process.at(static_cast<std::size_t>(index - ne)).categories;
      })
      .def("sample", [](const DesignSpace& s, int n, std::uint64_t seed) {
        const Eigen::MatrixXd pts = without_gil([&] { return sample_design_points(s, n, seed); });
        return points_to_columns(s, pts);
      })
      .def("validate", &violations);
}

void bind_campaign_class(py::module_& m) {
  py::class_<Campaign>(m, "_Campaign")
      .def_static("create", [](const std::string& path, const std::string& space_json, const std::string& base_dir,
                               std::uint64_t seed) {
        return without_gil([&] { return Campaign::create(path, space_json, base_dir, std::nullopt, seed); });
      })
      .def_static("create_with_history", [](const std::string& path, const std::string& space_json,
                                            const std::string& base_dir, std::uint64_t seed, const std::string& name,
                                            const std::vector<std::string>& header,
                                            const std::vector<std::vector<std::string>>& columns) {
        const CsvTable history = table_from_columns(name, header, columns);
        return without_gil([&] { return Campaign::create(path, space_json, base_dir, history, seed); });
      })
      .def_static("create_with_history_csv", [](const std::string& path, const std::string& space_json,
                                                const std::string& base_dir, std::uint64_t seed, const std::string& csv) {
        return without_gil([&] {
          return Campaign::create(path, space_json, base_dir, std::optional<std::filesystem::path>(csv), seed);
        });
      })
      .def_static("open", [](const std::string& path) { return Campaign::open(path); })
      .def("propose", [](Campaign& c, const py::dict& kw) {
        CampaignProposeOptions o;
        o.q = kw["q"].cast<int>();
        o.strategy = kw["strategy"].cast<std::string>();
        if (const auto model = kw["model"].cast<std::string>(); !model.empty()) o.model = model;
        o.model_options = kw["model_options"].cast<std::string>();
        o.features = kw["features"].cast<std::string>();
        o.raw_samples = kw["raw_samples"].cast<int>();
        o.min_measurements = kw["min_measurements"].cast<int>();
        o.max_distance = kw["max_distance"].cast<double>();
        const CsvTable sheet = without_gil([&] { return c.lab_sheet(c.propose(o)); });
        return table_to_python(sheet);
      })
      .def("ingest", [](Campaign& c, const std::string& name, const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& columns) {
        const CsvTable table = table_from_columns(name, header, columns);
        return summary_to_python(without_gil([&] { return c.ingest(table); }));
      })
      .def("ingest_csv", [](Campaign& c, const std::string& path) {
        return summary_to_python(without_gil([&] { return c.ingest(std::filesystem::path(path)); }));
      })
      .def("status_json", [](const Campaign& c) { return c.status().to_json(); })
      .def("measurements", &measurements_to_columns)
      .def("pending_sheet", [](const Campaign& c) {
        std::vector<ProposalRecord> pending;
        for (const auto& p : c.proposals())
          if (p.state == "pending") pending.push_back(p);
        return table_to_python(c.lab_sheet(pending));
      })
      .def("report", [](Campaign& c, const std::string& dir, bool record) {
        const auto files = without_gil([&] { return write_campaign_report(c, dir, c.seed()); });
        if (record) {
          try {  // as `matopt report --record`: a read-only copy still reports
            c.record("report", "report written to " + dir, {});
          } catch (const IOError& e) {
            log_warn(std::string("could not record 'report' in the campaign history: ") + e.what());
          }
        }
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(f.string());
        return out;
      })
      .def_property_readonly("path", [](const Campaign& c) { return c.path().string(); })
      .def_property_readonly("seed", &Campaign::seed)
      .def_property_readonly("rounds", &Campaign::rounds)
      .def_property_readonly("space", &Campaign::space, py::return_value_policy::copy);
}

}  // namespace

void bind_campaign(py::module_& m) {
  bind_design_space(m);
  bind_campaign_class(m);
}

}  // namespace matopt::python
