// SPDX-License-Identifier: MIT
#include "models/box_lbfgs.hpp"

#include <algorithm>
#include <cmath>

#include "matopt/core/cancel.hpp"
#include <deque>

namespace matopt::detail {
namespace {

Eigen::VectorXd project(const Eigen::VectorXd& x, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  return x.cwiseMax(lo).cwiseMin(hi);
}

// Components at a bound whose gradient points out of the box are frozen for this step.
Eigen::VectorXd free_mask(const Eigen::VectorXd& x, const Eigen::VectorXd& g, const Eigen::VectorXd& lo,
                          const Eigen::VectorXd& hi) {
  Eigen::VectorXd m = Eigen::VectorXd::Ones(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if ((x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0)) m[i] = 0.0;
  }
  return m;
}

}  // namespace

BoxLbfgsResult minimize_box_lbfgs(const Objective& f, const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                                  const Eigen::VectorXd& upper, const BoxLbfgsOptions& options) {
  const Eigen::Index n = x0.size();
  BoxLbfgsResult r;
  Eigen::VectorXd x = project(x0, lower, upper);
  Eigen::VectorXd g(n);
  double fx = f(x, g);
  r.evaluations = 1;
  r.x = x;
  r.value = fx;
  if (!std::isfinite(fx)) return r;

  std::deque<Eigen::VectorXd> S, Y;
  std::deque<double> rho;
  for (int it = 0; it < options.max_iterations; ++it) {
    r.iterations = it + 1;
    check_cancelled();
    const Eigen::VectorXd mask = free_mask(x, g, lower, upper);
    const Eigen::VectorXd pg = g.cwiseProduct(mask);
    if (pg.lpNorm<Eigen::Infinity>() < options.gradient_tolerance) {
      r.converged = true;
      break;
    }
    // Two-loop recursion on the free components.
    Eigen::VectorXd q = pg;
    std::vector<double> alpha(S.size());
    for (int k = static_cast<int>(S.size()) - 1; k >= 0; --k) {
      alpha[k] = rho[k] * S[k].cwiseProduct(mask).dot(q);
      q -= alpha[k] * Y[k].cwiseProduct(mask);
    }
    double gamma = 1.0;
    if (!S.empty()) gamma = S.back().dot(Y.back()) / Y.back().squaredNorm();
    q *= gamma;
    for (std::size_t k = 0; k < S.size(); ++k) {
      const double beta = rho[k] * Y[k].cwiseProduct(mask).dot(q);
      q += (alpha[k] - beta) * S[k].cwiseProduct(mask);
    }
    Eigen::VectorXd d = -q.cwiseProduct(mask);
    if (!(d.dot(pg) < 0.0) || !d.allFinite()) {  // not a descent direction: restart from steepest descent
      S.clear();
      Y.clear();
      rho.clear();
      d = -pg;
    }
    double step = S.empty() ? std::min(1.0, 1.0 / pg.norm()) : 1.0;
    bool accepted = false;
    Eigen::VectorXd xn, gn(n);
    double fn = 0.0;
    for (int ls = 0; ls < 40; ++ls) {
      check_cancelled();  // every objective evaluation (one GP likelihood) is a cancellation point
      xn = project(x + step * d, lower, upper);
      fn = f(xn, gn);
      ++r.evaluations;
      if (std::isfinite(fn) && fn <= fx + 1e-4 * g.dot(xn - x)) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const Eigen::VectorXd s = xn - x, y = gn - g;
    const double sy = s.dot(y);
    const double decrease = fx - fn;
    x = xn;
    g = gn;
    fx = fn;
    if (sy > 1e-12 * s.norm() * y.norm()) {
      S.push_back(s);
      Y.push_back(y);
      rho.push_back(1.0 / sy);
      if (static_cast<int>(S.size()) > options.memory) {
        S.pop_front();
        Y.pop_front();
        rho.pop_front();
      }
    }
    if (decrease <= options.relative_tolerance * std::max(1.0, std::abs(fx))) {
      r.converged = true;
      break;
    }
  }
  r.x = x;
  r.value = fx;
  return r;
}

}  // namespace matopt::detail
