// SPDX-License-Identifier: MIT
/// @file
/// @brief Single-objective acquisition functions on a Gaussian marginal N(mean, sd^2), maximization.
///
/// All functions take the posterior mean and standard deviation of one (maximized) objective at one
/// point. The log-space variants stay finite and accurate where the plain values underflow (far below
/// the incumbent), which matters when candidates are ranked by these values.
#pragma once

namespace matopt {

/// @brief Standard normal density phi(z).
double normal_pdf(double z) noexcept;
/// @brief Standard normal distribution function Phi(z).
double normal_cdf(double z) noexcept;
/// @brief log Phi(z), accurate for every finite z (continued fraction for the lower tail).
double log_normal_cdf(double z) noexcept;
/// @brief log h(z) with h(z) = phi(z) + z Phi(z) = E[(Z + z)^+] for Z ~ N(0, 1); accurate for every
/// finite z (no cancellation for z << 0). Returns -inf for z = -inf.
double log_h(double z) noexcept;
/// @brief log(1 - exp(x)) for x <= 0, accurate near 0 and for x << 0.
double log1mexp(double x) noexcept;

/// @brief Expected improvement E[(Y - best)^+], Y ~ N(mean, sd^2). sd = 0 gives max(mean - best, 0).
double expected_improvement(double mean, double sd, double best) noexcept;
/// @brief log of expected_improvement, finite far below the incumbent (e.g. 40 sd below it).
/// sd = 0 with mean <= best gives -inf.
double log_expected_improvement(double mean, double sd, double best) noexcept;
/// @brief Probability of improvement P(Y > best).
double probability_of_improvement(double mean, double sd, double best) noexcept;
/// @brief log P(Y > best), finite far below the incumbent.
double log_probability_of_improvement(double mean, double sd, double best) noexcept;
/// @brief Upper confidence bound mean + sqrt(beta) * sd (BoTorch's convention for beta).
double upper_confidence_bound(double mean, double sd, double beta) noexcept;

/// @brief log P(lower <= Y <= upper) for Y ~ N(mean, sd^2); either bound may be infinite.
double log_probability_in_interval(double mean, double sd, double lower, double upper) noexcept;

}  // namespace matopt
