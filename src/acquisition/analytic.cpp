// SPDX-License-Identifier: MIT
#include "matopt/acquisition/analytic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace matopt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kHalfLog2Pi = 0.91893853320467274178;

// T(x) = 1 / (x + 2 / (x + 3 / (x + ...))), the tail of Laplace's continued fraction for the Mills
// ratio R(x) = (1 - Phi(x)) / phi(x) = 1 / (x + T(x)), evaluated backwards. The depth 10 + 400/x^2
// exceeds what double precision needs for x >= 2 (checked against 40-digit arithmetic: 23 terms at
// x = 5, 11 at 10, 7 at 20); it is used for x > 5 only.
double mills_tail(double x) noexcept {
  const int depth = 10 + static_cast<int>(400.0 / (x * x));
  double t = 0.0;
  for (int k = depth; k >= 2; --k) t = k / (x + t);
  return 1.0 / (x + t);
}

}  // namespace

double normal_pdf(double z) noexcept { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }

double normal_cdf(double z) noexcept { return 0.5 * std::erfc(-z * kInvSqrt2); }

double log_normal_cdf(double z) noexcept {
  if (std::isnan(z)) return z;
  if (z == kInf) return 0.0;
  if (z == -kInf) return -kInf;
  if (z > 5.0) return std::log1p(-0.5 * std::erfc(z * kInvSqrt2));
  if (z >= -20.0) return std::log(0.5 * std::erfc(-z * kInvSqrt2));
  // Phi(-x) = phi(x) R(x); erfc would underflow below z ~ -38.
  const double x = -z;
  return -0.5 * x * x - kHalfLog2Pi - std::log(x + mills_tail(x));
}

double log_h(double z) noexcept {
  if (std::isnan(z)) return z;
  if (z == -kInf) return -kInf;
  if (z > 1e8) return std::log(z);  // h(z) = z + O(phi(z)); also keeps z = +inf at +inf
  // Down to z = -5 the direct formula loses at most a factor ~z^2 = 25 in relative accuracy of h
  // (h ~ phi / z^2), i.e. about 4e-15 relative in log h; it is much cheaper than the fraction.
  if (z >= -5.0) return std::log(normal_pdf(z) + z * normal_cdf(z));
  // h(-x) = phi(x) (1 - x R(x)) = phi(x) T / (x + T): the subtraction that cancels in the direct
  // formula is done exactly by the continued fraction.
  const double x = -z;
  const double t = mills_tail(x);
  return -0.5 * x * x - kHalfLog2Pi + std::log(t) - std::log(x + t);
}

double log1mexp(double x) noexcept {
  if (x > -0.6931471805599453) return std::log(-std::expm1(x));
  return std::log1p(-std::exp(x));
}

double expected_improvement(double mean, double sd, double best) noexcept {
  if (!(sd > 0.0)) return std::max(mean - best, 0.0);
  const double z = (mean - best) / sd;
  if (z < -2.0) return std::exp(std::log(sd) + log_h(z));
  return sd * (normal_pdf(z) + z * normal_cdf(z));
}

double log_expected_improvement(double mean, double sd, double best) noexcept {
  if (!(sd > 0.0)) return mean > best ? std::log(mean - best) : -kInf;
  return std::log(sd) + log_h((mean - best) / sd);
}

double probability_of_improvement(double mean, double sd, double best) noexcept {
  if (!(sd > 0.0)) return mean > best ? 1.0 : 0.0;
  return normal_cdf((mean - best) / sd);
}

double log_probability_of_improvement(double mean, double sd, double best) noexcept {
  if (!(sd > 0.0)) return mean > best ? 0.0 : -kInf;
  return log_normal_cdf((mean - best) / sd);
}

double upper_confidence_bound(double mean, double sd, double beta) noexcept {
  return mean + std::sqrt(std::max(beta, 0.0)) * std::max(sd, 0.0);
}

double log_probability_in_interval(double mean, double sd, double lower, double upper) noexcept {
  if (!(lower <= upper)) return -kInf;
  if (!(sd > 0.0)) return (mean >= lower && mean <= upper) ? 0.0 : -kInf;
  double a = (lower - mean) / sd, b = (upper - mean) / sd;
  // Work in the tail where both Phi values are small, so their difference keeps its digits.
  if (a > 0.0) {
    const double na = -b, nb = -a;
    a = na;
    b = nb;
  }
  const double log_b = log_normal_cdf(b);
  if (a == -kInf) return log_b;
  const double log_a = log_normal_cdf(a);
  if (log_a >= log_b) return -kInf;
  return log_b + log1mexp(log_a - log_b);
}

}  // namespace matopt
