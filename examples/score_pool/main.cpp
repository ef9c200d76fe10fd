// Score a large candidate pool: stream a 200,000-row candidate file in chunks, pre-screen every
// candidate with two GP surrogates and pick a batch of 8 with qNEHVI, in bounded memory.
#include <matopt/acquisition/batch.hpp>
#include <matopt/models/surrogate.hpp>
#include <matopt/optimize/design_space.hpp>
#include <matopt/optimize/pool.hpp>
#include <matopt/optimize/propose.hpp>
#include <matopt/optimize/sampling.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

int main() {
  const fs::path dir = fs::temp_directory_path() / "matopt_example_score_pool";
  fs::remove_all(dir);
  fs::create_directories(dir);

  // 1. A five-element composition space, and a pool file drawn from it (a lab's candidate list).
  const char* base = R"({"schema_version": 1,
    "composition": {"elements": ["Ni", "Fe", "Co", "Mn", "Cu"], "granularity": 0.01, "max_components": 4},
    "objectives": [{"name": "activity", "goal": "maximize"}, {"name": "stability", "goal": "maximize"}]})";
  const auto open_space = matopt::DesignSpace::from_json_text(base, dir);
  matopt::write_pool_csv(open_space, matopt::sample_design_points(open_space, 200000, 11,
                                                                  {matopt::SampleMethod::Random}),
                         dir / "pool.csv");
  std::string with_pool = base;
  with_pool.insert(with_pool.rfind('}'), R"(, "candidate_pool": "pool.csv")");
  const auto space = matopt::DesignSpace::from_json_text(with_pool, dir);

  // 2. Twenty "measured" points and two objectives that trade off (Ni-rich vs Co-rich).
  const Eigen::MatrixXd X = matopt::sample_design_points(open_space, 20, 3);
  Eigen::MatrixXd Y(X.rows(), 2);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    Y(i, 0) = X(i, 0) + 0.5 * X(i, 1) - X(i, 2) * X(i, 2);
    Y(i, 1) = X(i, 2) + 0.3 * X(i, 3) - 0.5 * X(i, 0) * X(i, 0);
  }
  auto gp0 = matopt::make_surrogate("gp", "", 1), gp1 = matopt::make_surrogate("gp", "", 2);
  gp0->fit(X, Y.col(0));
  gp1->fit(X, Y.col(1));
  const matopt::IndependentPosterior posterior({gp0.get(), gp1.get()});

  // 3. Propose from the pool; the fractions themselves are the model inputs here.
  matopt::ProposeOptions options;
  options.batch.q = 8;
  options.batch.seed = 5;
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = matopt::propose(space, posterior, matopt::identity_features(), X, Y, Eigen::MatrixXd(),
                                      options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("scored %zu candidates in %.2f s\n", result.candidates_scored, seconds);
  for (Eigen::Index k = 0; k < result.points.rows(); ++k) {
    std::printf("pool row %6zu  acq %.4g  activity %.3f±%.3f  stability %.3f±%.3f\n", result.pool_rows[k],
                result.acquisition_values[k], result.mean(k, 0), result.std(k, 0), result.mean(k, 1),
                result.std(k, 1));
    if (!space.validate(result.points.row(k).transpose()).empty()) return 1;
  }
  fs::remove_all(dir);
  return result.points.rows() == 8 && result.candidates_scored >= 100000 ? 0 : 1;
}
