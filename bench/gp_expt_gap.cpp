// SPDX-License-Identifier: MIT
// GP benchmark on matbench_expt_gap fold 0 with magpie features: prints MAE, NLL and fit/predict
// times. Usage:
//   bench_gp_expt_gap [--data DIR] [--train-limit N] [--seed S] [--options JSON] [--dump DIR]
// --train-limit keeps a seeded random subset of N training rows (for comparisons with slower
// implementations); --dump writes the exact standardized-by-nobody feature matrices used
// (train.csv, test.csv: features then target) for scripts/compare_sklearn_gp.py.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/metrics.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static void dump(const fs::path& file, const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  std::vector<std::string> header;
  for (Eigen::Index c = 0; c < X.cols(); ++c) header.push_back("f" + std::to_string(c));
  header.push_back("y");
  std::vector<std::vector<std::string>> rows;
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    std::vector<std::string> cells;
    for (Eigen::Index c = 0; c < X.cols(); ++c) cells.push_back(matopt::format_double(X(r, c)));
    cells.push_back(matopt::format_double(y[r]));
    rows.push_back(std::move(cells));
  }
  matopt::write_csv(file, header, rows);
}

int main(int argc, char** argv) {
  fs::path data_dir;
  long train_limit = 0;
  std::uint64_t seed = 0;
  std::string options;
  fs::path dump_dir;
  int verbose = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value after %s\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--data") data_dir = next();
    else if (a == "--train-limit") train_limit = std::stol(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--options") options = next();
    else if (a == "--dump") dump_dir = next();
    else if (a == "-v") verbose = 1;
    else {
      std::fprintf(stderr, "usage: %s [--data DIR] [--train-limit N] [--seed S] [--options JSON] [--dump DIR] [-v]\n",
                   argv[0]);
      return 1;
    }
  }
  matopt::set_verbosity(verbose);
  try {
    if (data_dir.empty()) data_dir = matopt::data_dir();  // the source tree's data/ in a build tree
    const fs::path csv = data_dir / "matbench" / "matbench_expt_gap.csv";
    matopt::CsvImportOptions io;
    io.composition = "composition";
    io.targets = {"gap expt"};
    const matopt::Dataset data = matopt::read_dataset_csv(csv, io);
    std::ifstream fin(data_dir / "matbench" / "matbench_expt_gap.folds.json");
    std::stringstream ss;
    ss << fin.rdbuf();
    const auto folds = nlohmann::json::parse(ss.str());
    std::vector<bool> is_test(data.rows(), false);
    for (const auto& i : folds["folds"][0]["test"]) is_test[i.get<std::size_t>()] = true;
    std::vector<std::size_t> train_rows, test_rows;
    for (std::size_t i = 0; i < data.rows(); ++i) (is_test[i] ? test_rows : train_rows).push_back(i);
    if (train_limit > 0 && static_cast<std::size_t>(train_limit) < train_rows.size()) {
      matopt::Rng rng(matopt::derive_seed(seed, 9));
      for (std::size_t i = 0; i < static_cast<std::size_t>(train_limit); ++i)
        std::swap(train_rows[i], train_rows[i + matopt::uniform_index(rng, train_rows.size() - i)]);
      train_rows.resize(static_cast<std::size_t>(train_limit));
      std::sort(train_rows.begin(), train_rows.end());
    }
    const matopt::Dataset train = data.subset(train_rows), test = data.subset(test_rows);
    matopt::Pipeline pipe(matopt::PipelineOptions{});  // magpie
    const auto f0 = Clock::now();
    const Eigen::MatrixXd Xtr = pipe.fit_transform(train);
    const Eigen::MatrixXd Xte = pipe.transform(test);
    const double t_feat = std::chrono::duration<double>(Clock::now() - f0).count();
    const Eigen::VectorXd ytr = train.target_vector("gap expt"), yte = test.target_vector("gap expt");
    if (!dump_dir.empty()) {
      fs::create_directories(dump_dir);
      dump(dump_dir / "train.csv", Xtr, ytr);
      dump(dump_dir / "test.csv", Xte, yte);
    }

    matopt::GaussianProcess gp(matopt::GPOptions::from_json(options), seed);
    const auto t0 = Clock::now();
    gp.fit(Xtr, ytr);
    const auto t1 = Clock::now();
    const matopt::Prediction p = gp.predict(Xte);
    const auto t2 = Clock::now();
    const Eigen::VectorXd sd = p.std();
    const double fit_s = std::chrono::duration<double>(t1 - t0).count();
    const double pred_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("matopt GP  expt_gap fold 0  train %zu  test %zu  features %td (%.2f s)\n", train_rows.size(),
                test_rows.size(), Xtr.cols(), t_feat);
    std::printf("  %s\n", gp.describe().c_str());
    std::printf("  MAE %.4f eV  NLL %.4f  RMSE %.4f  miscal.area %.4f  cov68 %.3f  cov95 %.3f\n",
                matopt::mae(yte, p.mean), matopt::gaussian_nll(yte, p.mean, sd), matopt::rmse(yte, p.mean),
                matopt::miscalibration_area(yte, p.mean, sd), matopt::interval_coverage(yte, p.mean, sd, 0.6827),
                matopt::interval_coverage(yte, p.mean, sd, 0.95));
    std::printf("  fit %.2f s  predict %.2f s  total %.2f s\n", fit_s, pred_s, fit_s + pred_s);
    std::printf("RESULT matopt mae=%.6f nll=%.6f fit_s=%.3f predict_s=%.3f\n", matopt::mae(yte, p.mean),
                matopt::gaussian_nll(yte, p.mean, sd), fit_s, pred_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gp_expt_gap: %s\n", e.what());
    return 2;
  }
  return 0;
}
