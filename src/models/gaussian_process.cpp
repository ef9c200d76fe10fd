// SPDX-License-Identifier: MIT
#include "matopt/models/gaussian_process.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "models/box_lbfgs.hpp"
#include "core/parallel.hpp"
#include "models/input_checks.hpp"
#include "models/options_json.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr double kLog2Pi = 1.8378770664093454836;
constexpr std::int64_t kSchemaVersion = 1;

// ---- kernels: value and d(value)/d(r^2) as functions of the squared scaled distance ----

inline double kernel_value(KernelType k, double r2, double s2) {
  switch (k) {
    case KernelType::RBF:
      return s2 * std::exp(-0.5 * r2);
    case KernelType::Matern12:
      return s2 * std::exp(-std::sqrt(r2));
    case KernelType::Matern32: {
      const double a = std::sqrt(3.0 * r2);
      return s2 * (1.0 + a) * std::exp(-a);
    }
    case KernelType::Matern52: {
      const double a = std::sqrt(5.0 * r2);
      return s2 * (1.0 + a + a * a / 3.0) * std::exp(-a);
    }
  }
  return 0.0;
}

inline double kernel_dr2(KernelType k, double r2, double s2) {
  switch (k) {
    case KernelType::RBF:
      return -0.5 * s2 * std::exp(-0.5 * r2);
    case KernelType::Matern12: {
      // Singular at r = 0, but every per-dimension distance is 0 there too, so the product is 0.
      if (r2 <= 0.0) return 0.0;
      const double r = std::sqrt(r2);
      return -0.5 * s2 * std::exp(-r) / r;
    }
    case KernelType::Matern32:
      return -1.5 * s2 * std::exp(-std::sqrt(3.0 * r2));
    case KernelType::Matern52: {
      const double a = std::sqrt(5.0 * r2);
      return -(5.0 / 6.0) * s2 * (1.0 + a) * std::exp(-a);
    }
  }
  return 0.0;
}

// Squared distances between rows of A and B (already divided by the length scales).
MatrixXd squared_distances(const MatrixXd& A, const MatrixXd& B) {
  const VectorXd a2 = A.rowwise().squaredNorm();
  const VectorXd b2 = B.rowwise().squaredNorm();
  MatrixXd D = -2.0 * (A * B.transpose());
  D.colwise() += a2;
  D.rowwise() += b2.transpose();
  return D.cwiseMax(0.0);
}

MatrixXd kernel_matrix(KernelType k, const MatrixXd& R2, double s2) {
  return R2.unaryExpr([k, s2](double r2) { return kernel_value(k, r2, s2); });
}

// Cholesky of K, escalating diagonal jitter from 1e-10 to 1e-2 of the mean diagonal. Returns false if
// it stays indefinite. K is modified (jitter added) and `jitter` receives the amount added.
bool cholesky_jitter(MatrixXd& K, Eigen::LLT<MatrixXd>& llt, double& jitter) {
  jitter = 0.0;
  if (!K.allFinite()) return false;
  llt.compute(K);
  if (llt.info() == Eigen::Success) return true;
  const double mean_diag = std::max(K.diagonal().mean(), std::numeric_limits<double>::min());
  const VectorXd base = K.diagonal();
  for (double rel = 1e-10; rel <= 1.0001e-2; rel *= 10.0) {
    // diag = base + j (not accumulated) so a reload that adds the recorded jitter matches bit for bit.
    const double j = rel * mean_diag;
    K.diagonal() = base.array() + j;
    jitter = j;
    llt.compute(K);
    if (llt.info() == Eigen::Success) return true;
  }
  return false;
}

// K⁻¹ from its Cholesky factor (lower triangle of `LL`). L⁻¹ is built in column blocks that skip the
// known zeros above the diagonal, and L⁻ᵀL⁻¹ is a symmetric rank update: about half the work of a
// dense solve against the identity followed by a general product.
MatrixXd inverse_from_cholesky(const MatrixXd& LL) {
  const Index n = LL.rows();
  constexpr Index kBlock = 128;
  MatrixXd Linv = MatrixXd::Zero(n, n);
  for (Index j0 = 0; j0 < n; j0 += kBlock) {
    const Index bs = std::min(kBlock, n - j0), m = n - j0;
    auto blk = Linv.block(j0, j0, m, bs);
    blk.topRows(bs).setIdentity();
    LL.bottomRightCorner(m, m).triangularView<Eigen::Lower>().solveInPlace(blk);
  }
  MatrixXd Kinv = MatrixXd::Zero(n, n);
  Kinv.selfadjointView<Eigen::Lower>().rankUpdate(Linv.transpose());
  Kinv.triangularView<Eigen::StrictlyUpper>() = Kinv.transpose();
  return Kinv;
}

using detail::check_finite_matrix;
using detail::format_number;

}  // namespace

std::string_view to_string(KernelType kernel) noexcept {
  switch (kernel) {
    case KernelType::RBF: return "rbf";
    case KernelType::Matern12: return "matern12";
    case KernelType::Matern32: return "matern32";
    case KernelType::Matern52: return "matern52";
  }
  return "?";
}

KernelType kernel_from_string(std::string_view name) {
  for (auto k : {KernelType::RBF, KernelType::Matern12, KernelType::Matern32, KernelType::Matern52}) {
    if (name == to_string(k)) return k;
  }
  throw InvalidArgument("unknown kernel '" + std::string(name) + "' (valid: rbf, matern12, matern32, matern52)");
}

// ---------------------------------------------------------------- options

std::string gp_options_with_few_point_priors(const std::string& options_json) {
  nlohmann::json j = nlohmann::json::object();
  if (options_json.find_first_not_of(" \t\r\n") != std::string::npos) {
    try {
      j = nlohmann::json::parse(options_json);
    } catch (const nlohmann::json::exception& e) {
      throw InvalidArgument(std::string("GP options are not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw InvalidArgument("GP options must be a JSON object, got '" + options_json + "'");
  }
  // log noise ~ N(-4, 1) is BoTorch's default since 0.12; Gamma(3, 6) on a unit-range input is its
  // classic length-scale prior, Gamma(3, 1.73) in our standardized units (a uniform column's sd is
  // 0.29 of its range). Options the caller sets win.
  if (!j.contains("noise_prior")) j["noise_prior"] = nlohmann::json::array({"lognormal", -4.0, 1.0});
  if (!j.contains("length_scale_prior")) j["length_scale_prior"] = nlohmann::json::array({"gamma", 3.0, 1.73});
  return j.dump();
}

namespace {

// Both hyperparameter priors ([kind, a, b] options on a log-parameter θ) share these three pieces.

// Reads the [kind, a, b] array of a prior option.
void parse_prior(const nlohmann::json& v, const std::string& expected, std::string& kind, double& a, double& b) {
  if (!v.is_array() || v.size() != 3) throw InvalidArgument("GP options: " + expected);
  kind = v[0].get<std::string>();
  a = v[1].get<double>();
  b = v[2].get<double>();
}

// Parameters of a "gamma" (shape a, rate b) or "lognormal" (mu a, sigma b) prior.
void check_prior(const std::string& kind, double a, double b, const char* name) {
  if (kind == "gamma" && !(a > 0.0 && b > 0.0 && std::isfinite(a) && std::isfinite(b)))
    throw InvalidArgument(std::string("GP options: a gamma ") + name + " needs shape > 0 and rate > 0");
  if (kind == "lognormal" && !(std::isfinite(a) && b > 0.0 && std::isfinite(b)))
    throw InvalidArgument(std::string("GP options: a lognormal ") + name + " needs a finite mu and sigma > 0");
}

// Adds a prior on e^θ to the log-density `v` and its θ-derivative `g`: gamma = Gamma(a, b) on e^θ as a
// density over θ, a·θ − b·e^θ; otherwise θ ~ N(mu, b²).
void add_log_prior(bool gamma, double a, double b, double mu, double theta, double& v, double& g) {
  if (gamma) {
    const double e = std::exp(theta);
    v += a * theta - b * e;
    g += a - b * e;
  } else {
    const double z = (theta - mu) / b;
    v -= 0.5 * z * z;
    g -= z / b;
  }
}

}  // namespace

void GPOptions::validate() const {
  if (restarts < 1) throw InvalidArgument("GP options: restarts must be >= 1");
  if (max_iterations < 0) throw InvalidArgument("GP options: max_iterations must be >= 0");
  if (max_exact < 1) throw InvalidArgument("GP options: max_exact must be >= 1");
  if (large_n != "subset" && large_n != "error")
    throw InvalidArgument("GP options: large_n must be 'subset' or 'error', got '" + large_n + "'");
  auto positive_pair = [](double lo, double hi, const char* name) {
    if (!(lo > 0.0 && hi >= lo && std::isfinite(hi)))
      throw InvalidArgument(std::string("GP options: bounds for ") + name + " must satisfy 0 < min <= max");
  };
  positive_pair(min_length_scale, max_length_scale, "length_scale");
  positive_pair(min_signal_variance, max_signal_variance, "signal_variance");
  positive_pair(min_noise_variance, max_noise_variance, "noise_variance");
  // +inf is allowed (the input is ignored): a fitted GP reports it for columns it dropped, and fixed
  // hyperparameters are copied from fitted models.
  for (double l : length_scales)
    if (!(l > 0.0)) throw InvalidArgument("GP options: length_scales must be positive");
  if (!(signal_variance > 0.0) || !(noise_variance > 0.0))
    throw InvalidArgument("GP options: signal_variance and noise_variance must be positive");
  if (noise_prior_kind != "gamma" && noise_prior_kind != "lognormal")
    throw InvalidArgument("GP options: noise_prior kind must be gamma or lognormal, got '" + noise_prior_kind + "'");
  check_prior(noise_prior_kind, noise_prior_a, noise_prior_b, "noise_prior");
  if (length_scale_prior != "none" && length_scale_prior != "gamma" && length_scale_prior != "lognormal")
    throw InvalidArgument("GP options: length_scale_prior kind must be none, gamma or lognormal, got '" + length_scale_prior + "'");
  check_prior(length_scale_prior, length_scale_prior_a, length_scale_prior_b, "length_scale_prior");
}

GPOptions GPOptions::from_json(const std::string& text) {
  GPOptions o;
  const nlohmann::json j = detail::parse_options_object(text, "GP options");
  static const char* kKeys =
      "kernel, restarts, max_iterations, optimize_subset, max_exact, large_n, threads, optimize, noise_prior, "
      "length_scale_prior, length_scales, "
      "signal_variance, noise_variance, min_length_scale, max_length_scale, min_signal_variance, "
      "max_signal_variance, min_noise_variance, max_noise_variance";
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const auto& v = it.value();
      if (key == "kernel") o.kernel = kernel_from_string(v.get<std::string>());
      else if (key == "restarts") o.restarts = v.get<int>();
      else if (key == "max_iterations") o.max_iterations = v.get<int>();
      else if (key == "optimize_subset") o.optimize_subset = v.get<int>();
      else if (key == "max_exact") o.max_exact = v.get<int>();
      else if (key == "large_n") o.large_n = v.get<std::string>();
      else if (key == "threads") o.threads = v.get<int>();
      else if (key == "optimize") o.optimize = v.get<bool>();
      else if (key == "noise_prior") {
        // true (Gamma(1.1, 0.05)), false / "none", or [kind, a, b] with kind "gamma" or "lognormal".
        if (v.is_boolean()) {
          o.noise_prior = v.get<bool>();
        } else if (v.is_string() && v.get<std::string>() == "none") {
          o.noise_prior = false;
        } else {
          parse_prior(v, "noise_prior must be true, false, \"none\", [\"gamma\", shape, rate] or [\"lognormal\", mu, sigma]",
                      o.noise_prior_kind, o.noise_prior_a, o.noise_prior_b);
          o.noise_prior = true;
        }
      }
      else if (key == "length_scale_prior") {
        // "none", or [kind, a, b] with kind "gamma" or "lognormal".
        if (v.is_string() && v.get<std::string>() == "none") {
          o.length_scale_prior = "none";
        } else {
          parse_prior(v, "length_scale_prior must be \"none\", [\"gamma\", shape, rate] or [\"lognormal\", mu, sigma]",
                      o.length_scale_prior, o.length_scale_prior_a, o.length_scale_prior_b);
        }
      }
      else if (key == "length_scales") {
        if (v.is_number()) o.length_scales = {v.get<double>()};
        else o.length_scales = v.get<std::vector<double>>();
      } else if (key == "signal_variance") o.signal_variance = v.get<double>();
      else if (key == "noise_variance") o.noise_variance = v.get<double>();
      else if (key == "min_length_scale") o.min_length_scale = v.get<double>();
      else if (key == "max_length_scale") o.max_length_scale = v.get<double>();
      else if (key == "min_signal_variance") o.min_signal_variance = v.get<double>();
      else if (key == "max_signal_variance") o.max_signal_variance = v.get<double>();
      else if (key == "min_noise_variance") o.min_noise_variance = v.get<double>();
      else if (key == "max_noise_variance") o.max_noise_variance = v.get<double>();
      else throw InvalidArgument("GP options: unknown key '" + key + "' (valid: " + kKeys + ")");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("GP options: wrong value type: ") + e.what());
  }
  o.validate();
  return o;
}

std::string GPOptions::to_json() const {
  nlohmann::json j;
  j["kernel"] = std::string(to_string(kernel));
  j["restarts"] = restarts;
  j["max_iterations"] = max_iterations;
  j["optimize_subset"] = optimize_subset;
  j["max_exact"] = max_exact;
  j["large_n"] = large_n;
  j["threads"] = threads;
  j["optimize"] = optimize;
  // The default prior is written as `true`, as before priors could be chosen, so such files stay
  // readable by older versions.
  const bool default_noise_prior = noise_prior_kind == "gamma" && noise_prior_a == 1.1 && noise_prior_b == 0.05;
  if (!noise_prior || default_noise_prior) j["noise_prior"] = noise_prior;
  else j["noise_prior"] = nlohmann::json::array({noise_prior_kind, noise_prior_a, noise_prior_b});
  // Written only when set, so models saved without a prior stay readable by older versions.
  if (length_scale_prior != "none")
    j["length_scale_prior"] = nlohmann::json::array({length_scale_prior, length_scale_prior_a, length_scale_prior_b});
  j["length_scales"] = length_scales;
  j["signal_variance"] = signal_variance;
  j["noise_variance"] = noise_variance;
  j["min_length_scale"] = min_length_scale;
  j["max_length_scale"] = max_length_scale;
  j["min_signal_variance"] = min_signal_variance;
  j["max_signal_variance"] = max_signal_variance;
  j["min_noise_variance"] = min_noise_variance;
  j["max_noise_variance"] = max_noise_variance;
  return j.dump();
}

// ---------------------------------------------------------------- state

struct GaussianProcess::State {
  Index input_dim = 0;
  VectorXd x_mean, x_scale;      // per original column
  std::vector<Index> active;     // non-constant columns
  MatrixXd Z;                    // standardized training inputs (active columns)
  VectorXd t;                    // standardized targets
  VectorXd known;                // standardized known noise per row (may be empty)
  double y_mean = 0.0, y_std = 1.0;
  VectorXd theta;                // log length scales (active), log s2, log sn2
  double jitter = 0.0;
  double lml = 0.0;
  // Derived (recomputed on load)
  MatrixXd Zs;                   // Z / length scales
  Eigen::LLT<MatrixXd> llt;
  VectorXd alpha;

  Index dims() const { return static_cast<Index>(active.size()); }
  double s2() const { return std::exp(theta[dims()]); }
  double sn2() const { return std::exp(theta[dims() + 1]); }

  MatrixXd standardize(const MatrixXd& X) const {
    MatrixXd out(X.rows(), dims());
    for (Index k = 0; k < dims(); ++k) {
      const Index c = active[static_cast<std::size_t>(k)];
      out.col(k) = (X.col(c).array() - x_mean[c]) / x_scale[c];
    }
    return out;
  }
  MatrixXd scaled(const MatrixXd& Zin) const {
    return Zin * theta.head(dims()).array().exp().inverse().matrix().asDiagonal();
  }
  // Builds K with the stored jitter and factorizes it; true on success.
  bool factorize(double fixed_jitter, bool escalate) {
    Zs = scaled(Z);
    MatrixXd K = kernel_matrix(kernel, squared_distances(Zs, Zs), s2());
    K.diagonal().array() += sn2();
    if (known.size() > 0) K.diagonal() += known;
    K.diagonal().array() += fixed_jitter;
    double extra = 0.0;
    bool ok;
    if (escalate) {
      ok = cholesky_jitter(K, llt, extra);
    } else {
      llt.compute(K);
      ok = llt.info() == Eigen::Success;
    }
    if (!ok) return false;
    jitter = fixed_jitter + extra;
    alpha = llt.solve(t);
    const VectorXd ld = llt.matrixLLT().diagonal();
    lml = -0.5 * t.dot(alpha) - ld.array().log().sum() - 0.5 * static_cast<double>(t.size()) * kLog2Pi;
    return true;
  }
  KernelType kernel = KernelType::Matern52;
};

GaussianProcess::GaussianProcess(GPOptions options, std::uint64_t seed)
    : options_(std::move(options)), seed_(seed) {
  options_.validate();  // options built in C++ get the same checks as JSON ones
}
GaussianProcess::~GaussianProcess() = default;
GaussianProcess::GaussianProcess(const GaussianProcess& o)
    : options_(o.options_),
      seed_(o.seed_),
      ref_mean_(o.ref_mean_),
      ref_scale_(o.ref_scale_),
      state_(o.state_ ? std::make_unique<State>(*o.state_) : nullptr) {}
GaussianProcess& GaussianProcess::operator=(const GaussianProcess& o) {
  if (this != &o) {
    options_ = o.options_;
    seed_ = o.seed_;
    ref_mean_ = o.ref_mean_;
    ref_scale_ = o.ref_scale_;
    state_ = o.state_ ? std::make_unique<State>(*o.state_) : nullptr;
  }
  return *this;
}

void GaussianProcess::set_input_reference(const MatrixXd& reference) {
  if (reference.size() == 0) {
    ref_mean_.resize(0);
    ref_scale_.resize(0);
    return;
  }
  check_finite_matrix(reference, "GP input reference");
  ref_mean_ = reference.colwise().mean().transpose();
  ref_scale_.resize(reference.cols());
  for (Index c = 0; c < reference.cols(); ++c)
    ref_scale_[c] = std::sqrt((reference.col(c).array() - ref_mean_[c]).square().mean());
}

bool GaussianProcess::is_fitted() const noexcept { return state_ != nullptr; }
std::unique_ptr<Surrogate> GaussianProcess::clone() const { return std::make_unique<GaussianProcess>(*this); }

// ---------------------------------------------------------------- likelihood

double GaussianProcess::lml_and_gradient(KernelType kernel, const MatrixXd& Z, const VectorXd& t,
                                         const VectorXd& known_noise, const VectorXd& theta, VectorXd* gradient) {
  const Index n = Z.rows(), d = Z.cols();
  const double s2 = std::exp(theta[d]), sn2 = std::exp(theta[d + 1]);
  const MatrixXd Zs = Z * theta.head(d).array().exp().inverse().matrix().asDiagonal();
  MatrixXd R2 = squared_distances(Zs, Zs);
  MatrixXd K = kernel_matrix(kernel, R2, s2);
  K.diagonal().array() += sn2;
  if (known_noise.size() > 0) K.diagonal() += known_noise;
  Eigen::LLT<MatrixXd> llt;
  double jitter = 0.0;
  if (!cholesky_jitter(K, llt, jitter)) return -std::numeric_limits<double>::infinity();
  const VectorXd alpha = llt.solve(t);
  const double lml = -0.5 * t.dot(alpha) - llt.matrixLLT().diagonal().array().log().sum() -
                     0.5 * static_cast<double>(n) * kLog2Pi;
  if (gradient == nullptr) return lml;

  // dLML/dθ = ½ tr(W ∂K/∂θ) with W = ααᵀ − K⁻¹.
  MatrixXd W = -inverse_from_cholesky(llt.matrixLLT());  // −K⁻¹
  W.noalias() += alpha * alpha.transpose();
  gradient->resize(d + 2);
  // Signal variance: ∂K/∂log s2 = K_f = K − noise − jitter on the diagonal.
  double g_s2 = 0.0, trace_w = 0.0;
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) g_s2 += W(i, j) * kernel_value(kernel, R2(i, j), s2);
    trace_w += W(j, j);
  }
  (*gradient)[d] = 0.5 * g_s2;
  (*gradient)[d + 1] = 0.5 * sn2 * trace_w;
  // Length scales: ∂K_ij/∂log l_k = −2 k'(r²) (z_ik − z_jk)² with z = x / l. With G = W ∘ k',
  // Σ_ij G_ij (z_ik − z_jk)² = 2 Σ_i z_ik² (G1)_i − 2 z_kᵀ G z_k, so one n×n×d product suffices.
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) R2(i, j) = W(i, j) * kernel_dr2(kernel, R2(i, j), s2);
  const MatrixXd& G = R2;
  const VectorXd g1 = G.rowwise().sum();
  const MatrixXd GZ = G * Zs;
  for (Index k = 0; k < d; ++k) {
    const double term = 2.0 * Zs.col(k).cwiseAbs2().dot(g1) - 2.0 * Zs.col(k).dot(GZ.col(k));
    (*gradient)[k] = -term;  // ½ · (−2) · term
  }
  return lml;
}

// ---------------------------------------------------------------- fit

void GaussianProcess::fit(const MatrixXd& X_in, const VectorXd& y_in, const VectorXd& noise_in) {
  const Index n_in = X_in.rows();
  if (n_in == 0) throw DataError("GP fit: no training rows (expected at least 1)");
  if (y_in.size() != n_in)
    throw DataError("GP fit: X has " + std::to_string(n_in) + " rows but y has " + std::to_string(y_in.size()) +
                    " values");
  if (noise_in.size() != 0 && noise_in.size() != n_in)
    throw DataError("GP fit: noise_variance has " + std::to_string(noise_in.size()) + " values, expected 0 or " +
                    std::to_string(n_in));
  check_finite_matrix(X_in, "GP fit: X");
  for (Index i = 0; i < n_in; ++i) {
    if (!std::isfinite(y_in[i]))
      throw DataError("GP fit: y row " + std::to_string(i + 1) + " is " + format_number(y_in[i]) +
                      " (expected a finite number)");
    if (noise_in.size() && !(std::isfinite(noise_in[i]) && noise_in[i] >= 0.0))
      throw DataError("GP fit: noise_variance row " + std::to_string(i + 1) + " is " + format_number(noise_in[i]) +
                      " (expected a finite number >= 0)");
  }

  // Rows used: all, or a seeded subset above the exact limit (never silently).
  std::vector<Index> rows(static_cast<std::size_t>(n_in));
  std::iota(rows.begin(), rows.end(), Index{0});
  auto seeded_subset = [](std::vector<Index> idx, std::size_t m, std::uint64_t seed) {
    Rng rng(seed);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(uniform_index(rng, idx.size() - i));
      std::swap(idx[i], idx[j]);
    }
    idx.resize(m);
    std::sort(idx.begin(), idx.end());
    return idx;
  };
  if (n_in > options_.max_exact) {
    if (options_.large_n == "error")
      throw InvalidArgument("GP fit: " + std::to_string(n_in) + " training rows exceed the exact-GP limit of " +
                            std::to_string(options_.max_exact) +
                            " (use the deep ensemble, --model ensemble, or GP option large_n = \"subset\")");
    log_warn("GP: " + std::to_string(n_in) + " training rows exceed the exact-GP limit; fitting on a seeded random "
             "subset of " + std::to_string(options_.max_exact) + " rows (subset-of-data approximation)");
    rows = seeded_subset(rows, static_cast<std::size_t>(options_.max_exact), derive_seed(seed_, 1));
  }
  const Index n = static_cast<Index>(rows.size());
  MatrixXd X(n, X_in.cols());
  VectorXd y(n), noise(noise_in.size() ? n : 0);
  for (Index i = 0; i < n; ++i) {
    X.row(i) = X_in.row(rows[static_cast<std::size_t>(i)]);
    y[i] = y_in[rows[static_cast<std::size_t>(i)]];
    if (noise.size()) noise[i] = noise_in[rows[static_cast<std::size_t>(i)]];
  }

  auto st = std::make_unique<State>();
  st->kernel = options_.kernel;
  st->input_dim = X.cols();
  st->x_mean = X.colwise().mean().transpose();
  st->x_scale = VectorXd::Ones(X.cols());
  if (ref_mean_.size() != 0 && ref_mean_.size() != X.cols())
    throw DataError("GP fit: X has " + std::to_string(X.cols()) + " columns but the input reference has " +
                    std::to_string(ref_mean_.size()));
  auto varies = [](double sd, double mean) { return sd > 1e-12 * std::max(1.0, std::abs(mean)); };
  for (Index c = 0; c < X.cols(); ++c) {
    // The domain's own spread when known: a few training rows give an unstable scale, and a column
    // they happen not to vary is still informative about the rest of the domain.
    if (ref_mean_.size() != 0 && varies(ref_scale_[c], ref_mean_[c])) {
      st->x_mean[c] = ref_mean_[c];
      st->x_scale[c] = ref_scale_[c];
      st->active.push_back(c);
      continue;
    }
    const double sd = std::sqrt((X.col(c).array() - st->x_mean[c]).square().mean());
    if (varies(sd, st->x_mean[c])) {
      st->x_scale[c] = sd;
      st->active.push_back(c);
    }
  }
  if (st->active.size() < static_cast<std::size_t>(X.cols()))
    log_debug("GP: " + std::to_string(X.cols() - static_cast<Index>(st->active.size())) +
              " constant input columns ignored");
  st->Z = st->standardize(X);
  st->y_mean = y.mean();
  const double ysd = std::sqrt((y.array() - st->y_mean).square().mean());
  // Constant targets: keep unit scale so the model predicts the constant with small variance.
  st->y_std = ysd > 1e-12 * std::max(1.0, std::abs(st->y_mean)) ? ysd : 1.0;
  st->t = (y.array() - st->y_mean) / st->y_std;
  if (noise.size()) st->known = noise / (st->y_std * st->y_std);

  const Index d = st->dims();
  VectorXd lo(d + 2), hi(d + 2), theta0(d + 2);
  lo.head(d).setConstant(std::log(options_.min_length_scale));
  hi.head(d).setConstant(std::log(options_.max_length_scale));
  lo[d] = std::log(options_.min_signal_variance);
  hi[d] = std::log(options_.max_signal_variance);
  lo[d + 1] = std::log(options_.min_noise_variance);
  hi[d + 1] = std::log(options_.max_noise_variance);
  if (options_.length_scales.size() == 1) {
    theta0.head(d).setConstant(std::log(options_.length_scales[0]));
  } else if (!options_.length_scales.empty()) {
    if (options_.length_scales.size() != static_cast<std::size_t>(X.cols()))
      throw InvalidArgument("GP options: length_scales has " + std::to_string(options_.length_scales.size()) +
                            " values, expected 1 or " + std::to_string(X.cols()) + " (one per input column)");
    for (Index k = 0; k < d; ++k) theta0[k] = std::log(options_.length_scales[st->active[static_cast<std::size_t>(k)]]);
  } else {
    // Standardized inputs: distances grow like sqrt(d), so start with length scales of that size.
    theta0.head(d).setConstant(0.5 * std::log(std::max<double>(1.0, static_cast<double>(d))));
  }
  theta0[d] = std::log(options_.signal_variance);
  theta0[d + 1] = std::log(options_.noise_variance);
  theta0 = theta0.cwiseMax(lo).cwiseMin(hi);

  if (options_.optimize && n >= 3 && options_.max_iterations > 0) {
    // Optimize on a seeded subset for large n; the posterior below uses every row.
    std::vector<Index> opt_rows(static_cast<std::size_t>(n));
    std::iota(opt_rows.begin(), opt_rows.end(), Index{0});
    if (options_.optimize_subset > 0 && n > options_.optimize_subset) {
      opt_rows = seeded_subset(opt_rows, static_cast<std::size_t>(options_.optimize_subset), derive_seed(seed_, 2));
      log_info("GP: optimizing hyperparameters on a seeded subset of " + std::to_string(opt_rows.size()) + " of " +
               std::to_string(n) + " rows");
    }
    MatrixXd Zo(static_cast<Index>(opt_rows.size()), d);
    VectorXd to(Zo.rows()), ko(st->known.size() ? Zo.rows() : 0);
    for (Index i = 0; i < Zo.rows(); ++i) {
      Zo.row(i) = st->Z.row(opt_rows[static_cast<std::size_t>(i)]);
      to[i] = st->t[opt_rows[static_cast<std::size_t>(i)]];
      if (ko.size()) ko[i] = st->known[opt_rows[static_cast<std::size_t>(i)]];
    }
    const int starts = options_.restarts;
    std::vector<VectorXd> x0(static_cast<std::size_t>(starts));
    x0[0] = theta0;
    for (int s = 1; s < starts; ++s) {
      Rng rng(derive_seed(seed_, 100 + static_cast<std::uint64_t>(s)));
      VectorXd th(d + 2);
      for (Index k = 0; k < d; ++k) th[k] = theta0[k] + std::log(10.0) * (2.0 * uniform01(rng) - 1.0);
      th[d] = std::log(0.3) + std::log(10.0) * uniform01(rng);
      th[d + 1] = std::log(1e-3) + std::log(500.0) * uniform01(rng);
      x0[static_cast<std::size_t>(s)] = th.cwiseMax(lo).cwiseMin(hi);
    }
    std::vector<detail::BoxLbfgsResult> results(static_cast<std::size_t>(starts));
    const KernelType kern = options_.kernel;
    detail::BoxLbfgsOptions lopt;
    lopt.max_iterations = options_.max_iterations;
    Progress progress("GP hyperparameters", static_cast<std::size_t>(starts));
    std::atomic<int> done{0};
    detail::parallel_for(starts, options_.threads, [&](int s) {
      // Minimize −LML / n so tolerances do not depend on the data size.
      const double scale = 1.0 / static_cast<double>(Zo.rows());
      const bool prior = options_.noise_prior;
      const bool prior_gamma = options_.noise_prior_kind == "gamma";
      const double np_a = options_.noise_prior_a, np_b = options_.noise_prior_b;
      const int ls_prior = options_.length_scale_prior == "gamma" ? 1 : options_.length_scale_prior == "lognormal" ? 2 : 0;
      const double ls_a = options_.length_scale_prior_a, ls_b = options_.length_scale_prior_b;
      const double ls_mu = ls_a + 0.5 * std::log(static_cast<double>(std::max<Index>(d, 1)));
      auto f = [&](const VectorXd& th, VectorXd& g) {
        double v = lml_and_gradient(kern, Zo, to, ko, th, &g);
        if (!std::isfinite(v)) return std::numeric_limits<double>::infinity();
        // Noise: Gamma(a, b) (default 1.1, 0.05) on the standardized noise variance is weak but stops
        // the noise collapsing to its floor when a few short ARD length scales can interpolate the
        // rows; log σn² ~ N(-4, 1) (BoTorch's default since 0.12, Hvarfner et al. 2024) instead favours
        // small noise, where the gamma prior, with a handful of rows, explains them as pure noise.
        if (prior) add_log_prior(prior_gamma, np_a, np_b, np_a, th[d + 1], v, g[d + 1]);
        // Length scales: log-normal centred at mu + ½ log d, since standardized distances grow like
        // sqrt(d) (Hvarfner et al. 2024, "Vanilla BO performs great in high dimensions").
        for (Index k = 0; k < d && ls_prior != 0; ++k) add_log_prior(ls_prior == 1, ls_a, ls_b, ls_mu, th[k], v, g[k]);
        g *= -scale;
        return -v * scale;
      };
      results[static_cast<std::size_t>(s)] = detail::minimize_box_lbfgs(f, x0[static_cast<std::size_t>(s)], lo, hi, lopt);
      ++done;
    });
    progress.update(static_cast<std::size_t>(done.load()));
    progress.finish();
    int best = -1;
    for (int s = 0; s < starts; ++s) {
      const auto& r = results[static_cast<std::size_t>(s)];
      log_debug("GP start " + std::to_string(s) + ": -LML/n = " + format_number(r.value) + " after " +
                std::to_string(r.iterations) + " iterations");
      if (std::isfinite(r.value) && (best < 0 || r.value < results[static_cast<std::size_t>(best)].value)) best = s;
    }
    if (best < 0)
      throw NumericalError("GP fit: the kernel matrix was not positive definite at any optimizer start "
                           "(even with diagonal jitter up to 1e-2 of its mean); check for huge or degenerate inputs");
    st->theta = results[static_cast<std::size_t>(best)].x;
  } else {
    st->theta = theta0;
  }

  if (!st->factorize(0.0, true))
    throw NumericalError("GP fit: the " + std::to_string(n) + "x" + std::to_string(n) +
                         " kernel matrix stayed indefinite after adding diagonal jitter up to 1e-2 of its mean");
  state_ = std::move(st);
  log_info("GP fitted: " + describe());
}

// ---------------------------------------------------------------- predict

Prediction GaussianProcess::predict(const MatrixXd& X) const {
  if (!state_) throw InvalidArgument("GP predict: the model is not fitted");
  const State& st = *state_;
  if (X.cols() != st.input_dim)
    throw DataError("GP predict: X has " + std::to_string(X.cols()) + " columns, expected " +
                    std::to_string(st.input_dim));
  check_finite_matrix(X, "GP predict: X");
  const Index m = X.rows();
  Prediction p;
  p.mean.resize(m);
  p.epistemic_variance.resize(m);
  const double s2 = st.s2();
  const double ys2 = st.y_std * st.y_std;
  // Fixed-size row blocks keep the floating-point work identical whatever the thread count.
  constexpr Index kBlock = 256;
  const int blocks = static_cast<int>((m + kBlock - 1) / kBlock);
  detail::parallel_for(blocks, options_.threads, [&](int b) {
    const Index r0 = static_cast<Index>(b) * kBlock, rn = std::min(kBlock, m - r0);
    const MatrixXd Zq = st.scaled(st.standardize(X.middleRows(r0, rn)));
    const MatrixXd Ks = kernel_matrix(st.kernel, squared_distances(Zq, st.Zs), s2);  // rn x n
    p.mean.segment(r0, rn) = (Ks * st.alpha).array() * st.y_std + st.y_mean;
    MatrixXd V = Ks.transpose();
    st.llt.matrixL().solveInPlace(V);
    p.epistemic_variance.segment(r0, rn) = ((s2 - V.colwise().squaredNorm().array()).max(0.0) * ys2).matrix().transpose();
  });
  const double known_mean = st.known.size() ? st.known.mean() : 0.0;
  p.aleatoric_variance = VectorXd::Constant(m, (st.sn2() + known_mean) * ys2);
  p.variance = p.epistemic_variance + p.aleatoric_variance;
  return p;
}

MatrixXd GaussianProcess::sample_joint(const MatrixXd& X, int n_samples, std::uint64_t seed) const {
  if (!state_) throw InvalidArgument("GP sample_joint: the model is not fitted");
  if (n_samples < 0) throw InvalidArgument("GP sample_joint: n_samples must be >= 0");
  const State& st = *state_;
  if (X.cols() != st.input_dim)
    throw DataError("GP sample_joint: X has " + std::to_string(X.cols()) + " columns, expected " +
                    std::to_string(st.input_dim));
  check_finite_matrix(X, "GP sample_joint: X");
  const Index m = X.rows();
  const MatrixXd Zq = st.scaled(st.standardize(X));
  const double s2 = st.s2();
  const MatrixXd Ks = kernel_matrix(st.kernel, squared_distances(Zq, st.Zs), s2);
  const VectorXd mean = Ks * st.alpha;
  MatrixXd V = Ks.transpose();
  st.llt.matrixL().solveInPlace(V);
  MatrixXd C = kernel_matrix(st.kernel, squared_distances(Zq, Zq), s2);
  C.noalias() -= V.transpose() * V;
  C = 0.5 * (C + C.transpose());
  Eigen::LLT<MatrixXd> llt;
  double jitter = 0.0;
  // The posterior covariance is often numerically rank-deficient (near-duplicate points), so start the
  // jitter relative to the prior variance rather than to the (possibly tiny) posterior diagonal.
  C.diagonal().array() += 1e-10 * s2;
  if (!cholesky_jitter(C, llt, jitter))
    throw NumericalError("GP sample_joint: the posterior covariance of " + std::to_string(m) +
                         " points stayed indefinite after diagonal jitter up to 1e-2 of its mean");
  Rng rng(seed);
  MatrixXd Zn(m, n_samples);
  for (int s = 0; s < n_samples; ++s)
    for (Index i = 0; i < m; ++i) Zn(i, s) = standard_normal(rng);
  MatrixXd out = (llt.matrixL() * Zn).transpose();  // n_samples x m
  out.rowwise() += mean.transpose();
  return (out.array() * st.y_std + st.y_mean).matrix();
}

// ---------------------------------------------------------------- accessors

VectorXd GaussianProcess::length_scales() const {
  if (!state_) throw InvalidArgument("GP: the model is not fitted");
  VectorXd l = VectorXd::Constant(state_->input_dim, std::numeric_limits<double>::infinity());
  for (Index k = 0; k < state_->dims(); ++k) l[state_->active[static_cast<std::size_t>(k)]] = std::exp(state_->theta[k]);
  return l;
}
double GaussianProcess::signal_variance() const {
  if (!state_) throw InvalidArgument("GP: the model is not fitted");
  return state_->s2();
}
double GaussianProcess::noise_variance() const {
  if (!state_) throw InvalidArgument("GP: the model is not fitted");
  return state_->sn2();
}
double GaussianProcess::log_marginal_likelihood() const {
  if (!state_) throw InvalidArgument("GP: the model is not fitted");
  return state_->lml;
}
double GaussianProcess::jitter() const {
  if (!state_) throw InvalidArgument("GP: the model is not fitted");
  return state_->jitter;
}

std::string GaussianProcess::describe() const {
  if (!state_) return "GP (not fitted)";
  const State& st = *state_;
  std::ostringstream os;
  os.precision(4);
  os << "kernel " << to_string(st.kernel) << ", n " << st.t.size() << ", inputs " << st.dims() << "/" << st.input_dim
     << ", signal var " << st.s2() << ", noise var " << st.sn2() << " (standardized; y std " << st.y_std
     << "), LML " << st.lml;
  if (st.dims() > 0) {
    const VectorXd l = st.theta.head(st.dims()).array().exp();
    os << ", length scales min " << l.minCoeff() << " median ";
    std::vector<double> v(l.data(), l.data() + l.size());
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    os << v[v.size() / 2] << " max " << l.maxCoeff();
  }
  if (st.jitter > 0) os << ", jitter " << st.jitter;
  return os.str();
}

// ---------------------------------------------------------------- persistence

void GaussianProcess::save(Archive& out) const {
  if (!state_) throw InvalidArgument("GP save: the model is not fitted");
  const State& st = *state_;
  out.set_attr("kind", std::string("gp"));
  out.set_attr("schema_version", kSchemaVersion);
  out.set_attr("options", options_.to_json());
  out.set_attr("seed", static_cast<std::int64_t>(seed_));
  out.set_attr("input_dim", static_cast<std::int64_t>(st.input_dim));
  out.set_attr("y_mean", st.y_mean);
  out.set_attr("y_std", st.y_std);
  out.set_attr("jitter", st.jitter);
  out.set("x_mean", st.x_mean);
  out.set("x_scale", st.x_scale);
  out.set("active", std::vector<std::int64_t>(st.active.begin(), st.active.end()));
  out.set("Z", st.Z);
  out.set("t", st.t);
  if (st.known.size()) out.set("known_noise", st.known);
  out.set("theta", st.theta);
}

void GaussianProcess::load(const Archive& in) {
  if (!in.has_attr("kind") || in.attr_string("kind") != "gp")
    throw IOError("GP load: the archive does not hold a Gaussian process (attribute 'kind' != 'gp')");
  const std::int64_t version = in.attr_int("schema_version");
  if (version > kSchemaVersion)
    throw IOError("GP load: schema_version " + std::to_string(version) + " is newer than supported (" +
                  std::to_string(kSchemaVersion) + ")");
  GPOptions opts = GPOptions::from_json(in.attr_string("options"));
  auto st = std::make_unique<State>();
  st->kernel = opts.kernel;
  st->input_dim = static_cast<Index>(in.attr_int("input_dim"));
  st->y_mean = in.attr_double("y_mean");
  st->y_std = in.attr_double("y_std");
  const double jitter = in.attr_double("jitter");
  st->x_mean = in.vector("x_mean");
  st->x_scale = in.vector("x_scale");
  for (std::int64_t a : in.integers("active")) st->active.push_back(static_cast<Index>(a));
  st->Z = in.matrix("Z");
  st->t = in.vector("t");
  if (in.has("known_noise")) st->known = in.vector("known_noise");
  st->theta = in.vector("theta");
  const Index d = st->dims();
  if (st->x_mean.size() != st->input_dim || st->x_scale.size() != st->input_dim || st->Z.cols() != d ||
      st->Z.rows() != st->t.size() || st->theta.size() != d + 2 ||
      (st->known.size() && st->known.size() != st->t.size()))
    throw IOError("GP load: inconsistent array sizes in the archive");
  for (Index a : st->active)
    if (a < 0 || a >= st->input_dim) throw IOError("GP load: 'active' column index out of range");
  // Re-factorize with the jitter recorded at fit time: the same arithmetic gives bit-identical results.
  if (!st->factorize(jitter, false))
    throw NumericalError("GP load: the stored kernel matrix is not positive definite");
  options_ = opts;
  seed_ = static_cast<std::uint64_t>(in.attr_int("seed"));
  state_ = std::move(st);
}

}  // namespace matopt
