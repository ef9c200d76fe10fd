// SPDX-License-Identifier: MIT
#include "matopt/models/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "matopt/core/error.hpp"
#include "models/box_lbfgs.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::VectorXd;

VectorXd StdCalibration::apply(const VectorXd& std) const { return (a * std.array() + b).matrix(); }

Prediction StdCalibration::apply(const Prediction& p) const {
  Prediction out = p;
  const VectorXd s = p.std();
  for (Index i = 0; i < s.size(); ++i) {
    const double s_new = a * s[i] + b;
    if (s[i] > 0.0) {
      const double f = (s_new / s[i]) * (s_new / s[i]);
      out.epistemic_variance[i] = p.epistemic_variance[i] * f;
      out.aleatoric_variance[i] = p.aleatoric_variance[i] * f;
    } else {
      out.epistemic_variance[i] = 0.0;
      out.aleatoric_variance[i] = s_new * s_new;
    }
    out.variance[i] = out.epistemic_variance[i] + out.aleatoric_variance[i];
  }
  return out;
}

StdCalibration fit_std_calibration(const VectorXd& r, const VectorXd& s) {
  if (r.size() != s.size())
    throw InvalidArgument("fit_std_calibration: " + std::to_string(r.size()) + " residuals but " +
                          std::to_string(s.size()) + " standard deviations");
  if (r.size() < 2) throw InvalidArgument("fit_std_calibration: needs at least 2 held-out points");
  if (!r.allFinite() || !s.allFinite() || (s.array() < 0.0).any())
    throw InvalidArgument("fit_std_calibration: residuals and standard deviations must be finite (std >= 0)");
  // Work with b in units of the mean σ so both parameters are O(1); fall back to the residual scale
  // when the σ are 0 or negligible beside the residuals (a model without spread, e.g. one boosted
  // member, whose σ a caller floored at ~1e-12), where b must carry the whole noise and its bound
  // would otherwise cap σ' near 0.
  const double residual_rms = std::sqrt(r.squaredNorm() / static_cast<double>(r.size()));
  double unit = s.mean();
  if (!(unit > 1e-6 * residual_rms)) unit = residual_rms;
  if (!(unit > 0.0)) unit = 1.0;
  const VectorXd sn = s / unit, rn = r / unit;
  const double n = static_cast<double>(r.size());
  auto f = [&](const VectorXd& x, VectorXd& g) {
    const double a = x[0], b = x[1];
    double v = 0, ga = 0, gb = 0;
    for (Index i = 0; i < sn.size(); ++i) {
      const double sig = a * sn[i] + b;
      if (!(sig > 0.0)) return std::numeric_limits<double>::infinity();
      const double r2 = rn[i] * rn[i];
      v += std::log(sig) + 0.5 * r2 / (sig * sig);
      const double dsig = 1.0 / sig - r2 / (sig * sig * sig);
      ga += dsig * sn[i];
      gb += dsig;
    }
    g.resize(2);
    g << ga / n, gb / n;
    return v / n;
  };
  VectorXd lo(2), hi(2), x0(2);
  lo << 1e-4, 0.0;
  hi << 1e4, 1e4;
  // Start from the σ-proportional fit a = RMS(r/σ) (b small) so σ' is positive everywhere.
  double ratio = 0;
  Index cnt = 0;
  for (Index i = 0; i < sn.size(); ++i)
    if (sn[i] > 0) {
      ratio += (rn[i] / sn[i]) * (rn[i] / sn[i]);
      ++cnt;
    }
  x0 << (cnt ? std::sqrt(ratio / static_cast<double>(cnt)) : 1.0), 0.1;
  x0 = x0.cwiseMax(lo).cwiseMin(hi);
  detail::BoxLbfgsOptions opt;
  opt.max_iterations = 500;
  opt.gradient_tolerance = 1e-9;
  opt.relative_tolerance = 1e-14;
  const auto res = detail::minimize_box_lbfgs(f, x0, lo, hi, opt);
  if (!std::isfinite(res.value)) throw NumericalError("fit_std_calibration: the NLL could not be evaluated");
  StdCalibration c;
  c.a = res.x[0];
  c.b = res.x[1] * unit;
  c.fitted = true;
  return c;
}

double PitCalibration::apply(double u) const {
  if (knots.size() < 2 || std::isnan(u)) return u;
  u = std::clamp(u, 0.0, 1.0);
  const double t = u * static_cast<double>(knots.size() - 1);
  const std::size_t k = std::min(static_cast<std::size_t>(t), knots.size() - 2);
  return knots[k] + (t - static_cast<double>(k)) * (knots[k + 1] - knots[k]);
}

double PitCalibration::inverse(double r) const {
  if (knots.size() < 2 || std::isnan(r)) return r;
  r = std::clamp(r, 0.0, 1.0);
  // first knot > r; the segment before it holds r (knots strictly increase from 0 to 1)
  const auto it = std::upper_bound(knots.begin() + 1, knots.end() - 1, r);
  const std::size_t k = static_cast<std::size_t>(it - knots.begin()) - 1;
  const double m = static_cast<double>(knots.size() - 1);
  return (static_cast<double>(k) + (r - knots[k]) / (knots[k + 1] - knots[k])) / m;
}

PitCalibration PitCalibration::from_knots(std::vector<double> knots) {
  if (knots.size() < 2 || knots.front() != 0.0 || knots.back() != 1.0)
    throw InvalidArgument("quantile recalibration: need at least 2 knots, the first 0 and the last 1 (got " +
                          std::to_string(knots.size()) + ")");
  for (std::size_t k = 1; k < knots.size(); ++k)
    if (!(knots[k] > knots[k - 1]))
      throw InvalidArgument("quantile recalibration: knots must strictly increase (knot " + std::to_string(k) + ")");
  PitCalibration c;
  c.knots = std::move(knots);
  return c;
}

PitCalibration fit_pit_calibration(const VectorXd& lo, const VectorXd& hi, int grid) {
  if (lo.size() == 0 || lo.size() != hi.size())
    throw InvalidArgument("quantile recalibration: need equally sized, non-empty PIT bounds (got " +
                          std::to_string(lo.size()) + " and " + std::to_string(hi.size()) + ")");
  if (grid < 2) throw InvalidArgument("quantile recalibration: grid must be >= 2");
  for (Index i = 0; i < lo.size(); ++i)
    if (!(lo[i] >= 0.0 && lo[i] <= hi[i] && hi[i] <= 1.0))
      throw InvalidArgument("quantile recalibration: row " + std::to_string(i) + " has PIT interval [" +
                            std::to_string(lo[i]) + ", " + std::to_string(hi[i]) + "]; expected 0 <= lo <= hi <= 1");
  const auto m = static_cast<std::size_t>(grid);
  const double n = static_cast<double>(lo.size());
  PitCalibration c;
  c.knots.assign(m + 1, 0.0);
  for (std::size_t k = 1; k < m; ++k) {
    const double u = static_cast<double>(k) / static_cast<double>(m);
    double below = 0.0;  // n·Ĝ(u): a point PIT counts when <= u, an interval by its share below u
    for (Index i = 0; i < lo.size(); ++i)
      below += hi[i] > lo[i] ? std::clamp((u - lo[i]) / (hi[i] - lo[i]), 0.0, 1.0) : (lo[i] <= u ? 1.0 : 0.0);
    c.knots[k] = (below + u) / (n + 1.0);
  }
  c.knots[m] = 1.0;  // R(0) = 0 and R(1) = 1 whatever sits exactly at the ends
  return c;
}

}  // namespace matopt
