// SPDX-License-Identifier: MIT
#include "matopt/models/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/models/metrics.hpp"

namespace matopt {

namespace distribution {

void pool_gaussians(const std::vector<const Eigen::VectorXd*>& locs, const std::vector<const Eigen::VectorXd*>& scales,
                    Eigen::VectorXd& loc, Eigen::VectorXd& scale) {
  if (locs.empty() || locs.size() != scales.size())
    throw InvalidArgument("pooling predictions: need as many scales as locations, at least one (got " +
                          std::to_string(locs.size()) + " and " + std::to_string(scales.size()) + ")");
  const Eigen::Index n = locs[0]->size();
  for (std::size_t j = 0; j < locs.size(); ++j)
    if (locs[j]->size() != n || scales[j]->size() != n)
      throw InvalidArgument("pooling predictions: member " + std::to_string(j) + " predicts " +
                            std::to_string(locs[j]->size()) + " rows, not " + std::to_string(n));
  const double w = 1.0 / static_cast<double>(locs.size());
  loc = Eigen::VectorXd::Zero(n);
  for (const auto* l : locs) loc += w * *l;
  // Spread about the pooled mean rather than E[loc²] − loc², which cancels when the members agree.
  Eigen::ArrayXd var = Eigen::ArrayXd::Zero(n);
  for (std::size_t j = 0; j < locs.size(); ++j)
    var += w * (scales[j]->array().square() + (locs[j]->array() - loc.array()).square());
  scale = var.sqrt().matrix();
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> pit_intervals(const Eigen::VectorXd& y, const Eigen::VectorXd& p_positive,
                                                          const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
                                                          bool log_space) {
  const Eigen::Index n = y.size();
  if (loc.size() != n || scale.size() != n || (p_positive.size() != 0 && p_positive.size() != n))
    throw InvalidArgument("PIT intervals: need " + std::to_string(n) + " locations, scales and (if any) probabilities; got " +
                          std::to_string(loc.size()) + ", " + std::to_string(scale.size()) + ", " +
                          std::to_string(p_positive.size()));
  auto cdf = [&](Eigen::Index i, double t) {  // the Gaussian part's CDF at t >= 0 (original units)
    const double g = log_space ? std::log1p(t) : t;
    return 0.5 * std::erfc(-(g - loc[i]) / (scale[i] * std::sqrt(2.0)));
  };
  Eigen::VectorXd lo(n), hi(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(scale[i] > 0) || !std::isfinite(y[i]))
      throw InvalidArgument("PIT intervals: row " + std::to_string(i) + " needs a finite target and a scale > 0");
    if (log_space && y[i] < 0.0) {  // below the support (log1p and hurdle need targets >= 0)
      lo[i] = hi[i] = 0.0;
      continue;
    }
    // Mixture (hurdle): mass 1 − p at exactly 0, the Gaussian part with weight p. In log space the
    // predictions are of max(0, y) (the point prediction is clipped at 0): the Gaussian part's mass
    // below 0 sits at 0 too, so a target of exactly 0 falls on an atom and its PIT is the whole jump
    // [F(0−), F(0)] = [0, F(0)].
    const double p = p_positive.size() == 0 ? 1.0 : std::clamp(p_positive[i], 0.0, 1.0);
    hi[i] = std::min(1.0, (1.0 - p) + p * cdf(i, y[i]));
    lo[i] = log_space && y[i] == 0.0 ? 0.0 : hi[i];
  }
  return {lo, hi};
}

std::pair<double, double> hurdle_median_and_std(double p, double m, double s) {
  p = std::clamp(p, 0.0, 1.0);
  // y > 0 part: log(1 + y) ~ N(m, s²). Quantiles survive the monotone map, so the mixture's median
  // solves (1 - p) + p·Φ((log(1 + t) - m)/s) = 1/2, i.e. t = expm1(m + s·Φ⁻¹((p - 1/2)/p)) for p > 1/2.
  double median = 0.0;
  if (p > 0.5) median = std::max(0.0, std::expm1(m + s * normal_quantile(std::clamp((p - 0.5) / p, 1e-12, 1.0 - 1e-12))));
  if (p == 0.0) return {0.0, 0.0};  // all mass at 0, whatever the other part says
  // X = e^Z - 1 for Z ~ N(m, s²): E[X] = e^(m + s²/2) - 1, Var X = e^(2m + 2s²)·(1 - e^(-s²)) (this form
  // cannot be 0·inf). The mixture's variance p·Var X + p(1 - p)·E[X]² is a sum of non-negative terms
  // (the second left out when p = 1), so an overflow gives +inf, never NaN.
  const double mean_x = std::expm1(m + 0.5 * s * s);
  const double var_x = s > 0 ? std::exp(2.0 * m + 2.0 * s * s) * -std::expm1(-s * s) : 0.0;
  const double between = p < 1.0 ? p * (1.0 - p) * mean_x * mean_x : 0.0;
  return {median, std::sqrt(p * var_x + between)};
}

double quantile(double p, double loc, double scale, bool log_space, double v) {
  auto z = [](double q) { return normal_quantile(std::clamp(q, 1e-15, 1.0 - 1e-15)); };
  if (!log_space) return loc + scale * z(v);
  p = std::clamp(p, 0.0, 1.0);
  if (v <= 1.0 - p) return 0.0;  // the point mass (and, in log space, the Gaussian part's mass below 0)
  return std::max(0.0, std::expm1(loc + scale * z((v - (1.0 - p)) / p)));
}

namespace {

double upper_tail(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }  // 1 − Φ(x), exact far out
double density(double x) { return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
// Φ(b) − Φ(a) for a <= b, from whichever tail keeps the digits.
double gaussian_mass(double a, double b) {
  return a > 0.0 ? upper_tail(a) - upper_tail(b) : upper_tail(-b) - upper_tail(-a);
}
double times_density(double z) { return std::isinf(z) ? 0.0 : z * density(z); }

const PitCalibration& identity_calibration() {
  static const PitCalibration r = PitCalibration::from_knots({0.0, 1.0});
  return r;
}

}  // namespace

std::pair<double, double> recalibrated_moments(double p, double loc, double scale, bool log_space,
                                               const PitCalibration& calibration, const std::vector<double>& z_cells) {
  const PitCalibration& r = calibration.fitted() ? calibration : identity_calibration();
  const std::size_t m = r.knots.size() - 1;
  if (z_cells.size() != m + 1)
    throw InvalidArgument("recalibrated moments: " + std::to_string(z_cells.size()) + " cell edges for " +
                          std::to_string(m) + " cells");
  p = log_space ? std::clamp(p, 0.0, 1.0) : 1.0;
  if (p == 0.0) return {0.0, 0.0};  // all mass at 0
  // Only the continuous part (v > 1 − p) carries y != 0; its cell edges in z, where v = 1 − p + p·Φ(z).
  // w = (k/M − (1 − p))/p is written as 1 − (M − k)/(M·p) so that the top edge is exactly 1 (z = +∞):
  // 1 − (1 − p) is not p in floating point, and a top edge at z ≈ 8 would cut a wide log-normal's tail.
  auto z_at = [&](std::size_t k) {
    if (p == 1.0) return z_cells[k];
    const double w = 1.0 - static_cast<double>(m - k) / (static_cast<double>(m) * p);
    if (w <= 0.0) return -std::numeric_limits<double>::infinity();
    return k == m ? std::numeric_limits<double>::infinity() : normal_quantile(std::min(w, 1.0));
  };
  const double z0 = log_space ? -loc / scale : -std::numeric_limits<double>::infinity();  // y = 0 below
  double s1 = 0.0, s2 = 0.0;  // E'[y], E'[y²] (identity space: of z, scaled at the end)
  double za = z_at(0);
  for (std::size_t k = 0; k < m; ++k) {
    const double zb = z_at(k + 1);
    const double a = std::max(za, z0), b = zb;
    za = zb;
    if (!(b > a)) continue;
    const double weight = static_cast<double>(m) * (r.knots[k + 1] - r.knots[k]) * p;
    if (!log_space) {  // partial moments of z: ∫zφ = φ(a) − φ(b), ∫z²φ = ΔΦ + aφ(a) − bφ(b)
      s1 += weight * (density(a) - density(b));
      s2 += weight * (gaussian_mass(a, b) + times_density(a) - times_density(b));
    } else {  // y = e^(loc + scale·z) − 1: ∫e^(tz)φ = e^(t²/2)·(Φ(b − t) − Φ(a − t))
      // (a cell without mass adds nothing, even where the exponential overflows: no inf·0)
      const double m1 = gaussian_mass(a - scale, b - scale), m2 = gaussian_mass(a - 2.0 * scale, b - 2.0 * scale);
      const double e1 = m1 > 0.0 ? std::exp(loc + 0.5 * scale * scale) * m1 : 0.0;
      const double e2 = m2 > 0.0 ? std::exp(2.0 * loc + 2.0 * scale * scale) * m2 : 0.0;
      const double e0 = gaussian_mass(a, b);
      s1 += weight * (e1 - e0);
      s2 += weight * (e2 - 2.0 * e1 + e0);
    }
  }
  // Overflow (inf − inf) is NaN, which the caller caps; std::max(0, NaN) would turn it into 0.
  const double mean = log_space ? s1 : loc + scale * s1;
  const double d = s2 - s1 * s1;
  if (std::isnan(d) || std::isinf(d)) return {mean, std::numeric_limits<double>::infinity()};
  const double var = std::max(0.0, d);
  return {mean, log_space ? std::sqrt(var) : scale * std::sqrt(var)};
}

double recalibrated_std(double p, double loc, double scale, bool log_space, const PitCalibration& r,
                        const std::vector<double>& z_cells) {
  return recalibrated_moments(p, loc, scale, log_space, r, z_cells).second;
}

std::vector<double> z_cells(const PitCalibration& calibration) {
  const std::size_t cells = calibration.fitted() ? calibration.knots.size() - 1 : 1;
  std::vector<double> z(cells + 1);
  z.front() = -std::numeric_limits<double>::infinity();
  z.back() = std::numeric_limits<double>::infinity();
  for (std::size_t k = 1; k < cells; ++k) z[k] = normal_quantile(static_cast<double>(k) / static_cast<double>(cells));
  return z;
}

void summarize(const Eigen::VectorXd& p_positive, const Eigen::VectorXd& loc, const Eigen::VectorXd& scale,
               bool log_space, const PitCalibration& r, Eigen::VectorXd& mean, Eigen::VectorXd& std) {
  const Eigen::Index n = loc.size();
  mean.resize(n);
  std.resize(n);
  if (r.fitted()) {
    // CDF R ∘ F: its quantile v is F's quantile R⁻¹(v), so the point prediction (the median) is F's
    // quantile R⁻¹(½); σ is that distribution's own standard deviation.
    const double v50 = r.inverse(0.5);
    const std::vector<double> cells = z_cells(r);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double p = p_positive.size() > 0 ? p_positive[i] : 1.0;
      mean[i] = quantile(p, loc[i], scale[i], log_space, v50);
      std[i] = recalibrated_std(p, loc[i], scale[i], log_space, r, cells);
    }
  } else if (p_positive.size() > 0) {
    for (Eigen::Index i = 0; i < n; ++i) std::tie(mean[i], std[i]) = hurdle_median_and_std(p_positive[i], loc[i], scale[i]);
  } else if (log_space) {
    mean = loc.array().expm1().cwiseMax(0.0).matrix();
    std = (loc.array().exp() * scale.array()).matrix();
  } else {
    mean = loc;
    std = scale;
  }
  // A σ the Gaussian scores can use: > 0 (a hurdle row sure of y = 0 has none) and with a finite σ²
  // (e^loc overflows for absurd log-space predictions).
  constexpr double kMaxStd = 1e150;
  for (Eigen::Index i = 0; i < n; ++i)
    std[i] = std::min(std::max(std::isnan(std[i]) ? kMaxStd : std[i], 1e-12 * (1.0 + std::abs(mean[i]))), kMaxStd);
}

}  // namespace distribution

std::string to_string(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::Gaussian: return "gaussian";
    case DistributionKind::Log1pNormal: return "log1p_normal";
    case DistributionKind::Hurdle: return "hurdle";
    case DistributionKind::Bernoulli: return "bernoulli";
  }
  return "gaussian";
}

DistributionKind parse_distribution_kind(const std::string& name) {
  for (DistributionKind k : {DistributionKind::Gaussian, DistributionKind::Log1pNormal, DistributionKind::Hurdle,
                             DistributionKind::Bernoulli})
    if (to_string(k) == name) return k;
  throw InvalidArgument("unknown distribution kind '" + name + "' (valid: gaussian, log1p_normal, hurdle, bernoulli)");
}

namespace {

bool log_space(DistributionKind k) { return k == DistributionKind::Log1pNormal || k == DistributionKind::Hurdle; }

}  // namespace

PredictiveDistribution PredictiveDistribution::gaussian(Eigen::VectorXd mean, Eigen::VectorXd std) {
  if (mean.size() != std.size())
    throw InvalidArgument("gaussian distributions: " + std::to_string(mean.size()) + " means but " +
                          std::to_string(std.size()) + " standard deviations");
  PredictiveDistribution d;
  d.kind = DistributionKind::Gaussian;
  d.loc = std::move(mean);
  d.scale = std::move(std);
  return d;
}

PredictiveDistribution distribution_of(const Prediction& p) {
  if (p.distribution) return *p.distribution;
  return PredictiveDistribution::gaussian(p.mean, p.std());
}

PredictiveDistribution PredictiveDistribution::bernoulli(Eigen::VectorXd probability, double threshold) {
  PredictiveDistribution d;
  d.kind = DistributionKind::Bernoulli;
  d.probability = probability.cwiseMax(0.0).cwiseMin(1.0);
  d.threshold = threshold;
  return d;
}

namespace {

// P(y > 0) of a row (1 without a point mass).
double positive(const PredictiveDistribution& d, Eigen::Index i) {
  return d.kind == DistributionKind::Hurdle ? std::clamp(d.p_positive[i], 0.0, 1.0) : 1.0;
}

// F of the parametric part at y (no recalibration).
double raw_cdf(const PredictiveDistribution& d, Eigen::Index i, double y) {
  if (log_space(d.kind) && y < 0.0) return 0.0;
  const double g = log_space(d.kind) ? std::log1p(y) : y;
  const double p = positive(d, i);
  return std::min(1.0, (1.0 - p) + p * 0.5 * std::erfc(-(g - d.loc[i]) / (d.scale[i] * std::sqrt(2.0))));
}

}  // namespace

double PredictiveDistribution::cdf(Eigen::Index i, double y) const {
  if (kind == DistributionKind::Bernoulli) return y < 0.0 ? 0.0 : (y < 1.0 ? 1.0 - probability[i] : 1.0);
  const double f = raw_cdf(*this, i, y);
  return recalibration.fitted() ? recalibration.apply(f) : f;
}

double PredictiveDistribution::cdf_below(Eigen::Index i, double y) const {
  if (kind == DistributionKind::Bernoulli) return y <= 0.0 ? 0.0 : (y <= 1.0 ? 1.0 - probability[i] : 1.0);
  if (log_space(kind) && y <= 0.0) return 0.0;  // the atom at 0 holds the mass at and below it
  return cdf(i, y);
}

double PredictiveDistribution::quantile(Eigen::Index i, double v) const {
  if (kind == DistributionKind::Bernoulli) return v <= 1.0 - probability[i] ? 0.0 : 1.0;
  const double u = recalibration.fitted() ? recalibration.inverse(std::clamp(v, 0.0, 1.0)) : v;
  return distribution::quantile(positive(*this, i), loc[i], scale[i], log_space(kind), u);
}

double PredictiveDistribution::mean(Eigen::Index i) const {
  if (kind == DistributionKind::Bernoulli) return probability[i];
  return distribution::recalibrated_moments(positive(*this, i), loc[i], scale[i], log_space(kind), recalibration,
                                            distribution::z_cells(recalibration))
      .first;
}

double PredictiveDistribution::std(Eigen::Index i) const {
  if (kind == DistributionKind::Bernoulli) return std::sqrt(probability[i] * (1.0 - probability[i]));
  return distribution::recalibrated_moments(positive(*this, i), loc[i], scale[i], log_space(kind), recalibration,
                                            distribution::z_cells(recalibration))
      .second;
}

std::pair<double, double> PredictiveDistribution::interval(Eigen::Index i, double level) const {
  if (!(level > 0.0 && level < 1.0))
    throw InvalidArgument("interval: level must be in (0, 1) (got " + std::to_string(level) + ")");
  return {quantile(i, 0.5 * (1.0 - level)), quantile(i, 0.5 * (1.0 + level))};
}

double PredictiveDistribution::sample(Eigen::Index i, Rng& rng) const { return quantile(i, uniform01(rng)); }

double PredictiveDistribution::label(Eigen::Index i) const {
  if (kind != DistributionKind::Bernoulli) throw InvalidArgument("label: the distribution is not a Bernoulli");
  return probability[i] >= threshold ? 1.0 : 0.0;
}

Eigen::VectorXd PredictiveDistribution::quantiles(double v) const {
  Eigen::VectorXd q(size());
  for (Eigen::Index i = 0; i < q.size(); ++i) q[i] = quantile(i, v);
  return q;
}

namespace {

Eigen::VectorXd moments(const PredictiveDistribution& d, bool want_std) {
  Eigen::VectorXd out(d.size());
  if (d.kind == DistributionKind::Bernoulli) {
    for (Eigen::Index i = 0; i < out.size(); ++i) out[i] = want_std ? d.std(i) : d.mean(i);
    return out;
  }
  const std::vector<double> cells = distribution::z_cells(d.recalibration);
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    const auto [m, s] = distribution::recalibrated_moments(positive(d, i), d.loc[i], d.scale[i], log_space(d.kind),
                                                           d.recalibration, cells);
    out[i] = want_std ? s : m;
  }
  return out;
}

}  // namespace

Eigen::VectorXd PredictiveDistribution::means() const { return moments(*this, false); }
Eigen::VectorXd PredictiveDistribution::stds() const { return moments(*this, true); }

std::pair<Eigen::VectorXd, Eigen::VectorXd> PredictiveDistribution::pit(const Eigen::VectorXd& y) const {
  if (kind == DistributionKind::Bernoulli) {
    if (y.size() != size()) throw InvalidArgument("PIT: " + std::to_string(y.size()) + " targets for " +
                                                  std::to_string(size()) + " rows");
    Eigen::VectorXd lo(y.size()), hi(y.size());
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      lo[i] = cdf_below(i, y[i]);
      hi[i] = cdf(i, y[i]);
    }
    return {lo, hi};
  }
  auto [lo, hi] = distribution::pit_intervals(y, kind == DistributionKind::Hurdle ? p_positive : Eigen::VectorXd(), loc,
                                              scale, log_space(kind));
  if (recalibration.fitted())
    for (Eigen::Index i = 0; i < lo.size(); ++i) {
      lo[i] = recalibration.apply(lo[i]);
      hi[i] = recalibration.apply(hi[i]);
    }
  return {lo, hi};
}

void PredictiveDistribution::summarize(Eigen::VectorXd& point, Eigen::VectorXd& sd) const {
  if (kind == DistributionKind::Bernoulli) {
    point = probability;
    sd = (probability.array() * (1.0 - probability.array())).sqrt().matrix();
    return;
  }
  distribution::summarize(kind == DistributionKind::Hurdle ? p_positive : Eigen::VectorXd(), loc, scale,
                          log_space(kind), recalibration, point, sd);
}

PredictiveDistribution PredictiveDistribution::subset(const std::vector<Eigen::Index>& rows) const {
  PredictiveDistribution d = *this;
  auto take = [&](const Eigen::VectorXd& v) { return v.size() == 0 ? v : Eigen::VectorXd(v(rows)); };
  d.loc = take(loc);
  d.scale = take(scale);
  d.p_positive = take(p_positive);
  d.probability = take(probability);
  return d;
}

}  // namespace matopt
