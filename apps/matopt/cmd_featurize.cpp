// SPDX-License-Identifier: MIT
// `matopt featurize`: CLI wiring for the featurize layer.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/featurize/stream.hpp"

namespace matopt::cli {

namespace {

struct FeaturizeArgs {
  std::string input, output;
  std::string features = "magpie";
  std::string composition, id;
  std::vector<std::string> process, log_columns, elements;
  bool no_impute = false;
  bool strict_alloy = false;
  bool list = false;
  unsigned threads = 0;
  std::size_t chunk_rows = 16384;
};

std::string extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}
bool is_h5(const std::string& p) {
  auto e = extension(p);
  return e == ".h5" || e == ".hdf5";
}

void write_features_csv(const std::filesystem::path& out, const std::vector<std::string>& ids,
                        const std::vector<std::string>& labels, const Eigen::MatrixXd& X) {
  AtomicFile file(out);
  {
    std::ofstream os(file.temp_path(), std::ios::binary);
    if (!os) throw IOError("cannot write " + file.temp_path().string());
    std::string line = "id";
    for (const auto& l : labels) {
      line += ',';
      line += csv_escape(l);
    }
    line += '\n';
    os << line;
    char buf[32];
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      line = csv_escape(ids[static_cast<std::size_t>(i)]);
      for (Eigen::Index k = 0; k < X.cols(); ++k) {
        line += ',';
        line.append(buf, format_feature_value(X(i, k), buf));
      }
      line += '\n';
      os << line;
    }
    os.close();
    if (!os) throw IOError("write failed: " + file.temp_path().string());
  }
  file.commit();
}

void run_featurize(const FeaturizeArgs& a) {
  if (a.list) {
    for (const auto& [name, n] : list_featurizers()) {
      if (n == 0)
        std::printf("%-16s  (one per element of the fitted element list)\n", name.c_str());
      else
        std::printf("%-16s  %zu\n", name.c_str(), n);
    }
    return;
  }
  if (a.input.empty()) throw InvalidArgument("featurize: INPUT is required (or use --list)");
  if (a.output.empty()) throw InvalidArgument("featurize: -o OUT is required");
  const auto in_ext = extension(a.input), out_ext = extension(a.output);
  if (in_ext != ".csv" && !is_h5(a.input))
    throw InvalidArgument("featurize: INPUT must be .csv or .h5 (got '" + a.input + "')");
  if (out_ext != ".csv" && !is_h5(a.output))
    throw InvalidArgument("featurize: OUT must be .csv or .h5 (got '" + a.output + "')");

  std::vector<int> element_z_list;
  for (const auto& s : a.elements) {
    int z = element_z(s);
    if (z == 0) throw InvalidArgument("featurize: --elements: '" + s + "' is not an element symbol");
    element_z_list.push_back(z);
  }
  const bool wants_fit = a.features.find("fractions") != std::string::npos && a.elements.empty();

  // CSV -> CSV of composition features only: stream in chunks so the file size does not matter.
  if (in_ext == ".csv" && out_ext == ".csv" && a.process.empty() && !wants_fit) {
    StreamFeaturizeOptions so;
    so.features = a.features;
    so.impute_missing = !a.no_impute;
    so.strict_missing = a.strict_alloy;
    so.elements = element_z_list;
    so.composition_column = a.composition;
    so.id_column = a.id;
    so.chunk_rows = a.chunk_rows;
    so.threads = a.threads;
    std::size_t n = featurize_csv_stream(a.input, a.output, so);
    log_info("featurize: wrote " + std::to_string(n) + " rows to " + a.output);
    return;
  }

  ImportReport report;
  Dataset data = read_dataset(a.input, csv_import_options(a.composition, a.id, {}, a.process, false), &report);
  print_import_report("featurize", report, data);
  PipelineOptions po;
  po.features = a.features;
  po.impute_missing = !a.no_impute;
  po.strict_missing = a.strict_alloy;
  po.log_columns = a.log_columns;
  po.use_process = true;
  po.elements = a.elements;
  po.threads = a.threads;
  Pipeline pipe(po);
  Eigen::MatrixXd X;
  try {
    X = pipe.fit_transform(data);
  } catch (const DataError& e) {
    throw DataError(a.input + ": " + e.what());  // the pipeline names row and column, not the file
  }
  const auto labels = pipe.labels();
  if (is_h5(a.output)) {
    Archive root;
    root.set("features", X);
    root.set_data_attr("features", "labels", labels);
    root.set("labels", labels);
    root.set("ids", data.ids);
    pipe.save(root.child("pipeline"));
    save_archive(root, a.output, "matopt-features", 1);
  } else {
    write_features_csv(a.output, data.ids, labels, X);
  }
  log_info("featurize: wrote " + std::to_string(X.rows()) + " x " + std::to_string(X.cols()) + " to " + a.output);
}

}  // namespace

void register_featurize_commands(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto a = std::make_shared<FeaturizeArgs>();
  auto* cmd = app.add_subcommand("featurize", "Compute composition (and process) features of a dataset");
  cmd->add_option("INPUT", a->input, "Input dataset (.csv or .h5)");
  cmd->add_option("-o,--output", a->output, "Output feature matrix (.csv: id + features; .h5: format matopt-features)");
  cmd->add_option("--features", a->features, "Featurizers joined by '+', e.g. magpie+stoichiometry+valence_orbital")
      ->capture_default_str();
  cmd->add_flag("--list", a->list, "List featurizers and their feature counts");
  cmd->add_option("--composition", a->composition, "Composition column (default: detected, as `matopt import` detects it)");
  cmd->add_option("--id", a->id, "Id column copied to the output (default: row numbers)");
  cmd->add_option("--process", a->process, "Process columns to encode as well")->delimiter(',');
  cmd->add_option("--log", a->log_columns, "Process columns to log-scale before standardizing")->delimiter(',');
  cmd->add_option("--elements", a->elements, "Element list for 'fractions' (default: the input's elements)")->delimiter(',');
  cmd->add_flag("--no-impute", a->no_impute, "Keep missing elemental values as NaN instead of the property mean");
  cmd->add_flag("--strict-alloy", a->strict_alloy,
                "alloy: a missing element value or pair enthalpy is an error naming it (default: NaN)");
  cmd->add_option("--threads", a->threads, "Worker threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--chunk-rows", a->chunk_rows, "Rows held in memory at once when streaming CSV -> CSV")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([a] { run_featurize(*a); });
}

}  // namespace matopt::cli
