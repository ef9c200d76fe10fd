// SPDX-License-Identifier: MIT
#include "matopt/optimize/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "optimize/space_detail.hpp"

namespace matopt {

namespace {

// Primitive polynomials (degree s, interior coefficient bits a) and initial direction integers m_1..m_s
// for Sobol dimensions 2..32 (any odd m_k < 2^k gives a valid sequence; these are the customary ones).
struct SobolInit {
  int s, a;
  std::uint32_t m[7];
};
constexpr SobolInit kSobolInit[] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
};
constexpr int kBits = 32;

}  // namespace

SobolSequence::SobolSequence(int dimension, std::uint64_t seed) : dim_(dimension) {
  if (dimension < 1 || dimension > kMaxDimension)
    throw InvalidArgument("SobolSequence: dimension must be in 1.." + std::to_string(kMaxDimension) + ", got " + std::to_string(dimension));
  directions_.assign(static_cast<std::size_t>(dim_) * kBits, 0);
  for (int k = 0; k < kBits; ++k) directions_[k] = 1u << (kBits - 1 - k);
  for (int d = 1; d < dim_; ++d) {
    const SobolInit& init = kSobolInit[d - 1];
    std::uint32_t* v = &directions_[static_cast<std::size_t>(d) * kBits];
    const int s = init.s;
    for (int k = 0; k < s && k < kBits; ++k) v[k] = init.m[k] << (kBits - 1 - k);
    for (int k = s; k < kBits; ++k) {
      std::uint32_t x = v[k - s] ^ (v[k - s] >> s);
      for (int j = 1; j < s; ++j)
        if ((init.a >> (s - 1 - j)) & 1u) x ^= v[k - j];
      v[k] = x;
    }
  }
  state_.assign(dim_, 0);
  shift_.assign(dim_, 0);
  if (seed != 0) {
    Rng rng(seed);
    for (auto& s : shift_) s = static_cast<std::uint32_t>(rng() >> 32);
  }
}

void SobolSequence::next(double* out) {
  // Gray-code order: point i+1 differs from point i by the direction of i's lowest zero bit.
  for (int d = 0; d < dim_; ++d) out[d] = static_cast<double>(state_[d] ^ shift_[d]) * 0x1.0p-32;
  std::uint64_t i = index_++;
  int c = 0;
  while (i & 1u) {
    i >>= 1;
    ++c;
  }
  if (c >= kBits) c = kBits - 1;  // after 2^32 points the sequence repeats; irrelevant in practice
  for (int d = 0; d < dim_; ++d) state_[d] ^= directions_[static_cast<std::size_t>(d) * kBits + c];
}

Eigen::MatrixXd SobolSequence::draw(int n) {
  Eigen::MatrixXd out(n, dim_);
  std::vector<double> buf(dim_);
  for (int r = 0; r < n; ++r) {
    next(buf.data());
    for (int d = 0; d < dim_; ++d) out(r, d) = buf[d];
  }
  return out;
}

bool repair_fractions(Eigen::Ref<Eigen::VectorXd> x, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  const Eigen::Index n = x.size();
  if (lo.sum() > 1.0 + 1e-12) return false;
  // Entries with zero weight can only sit at their lower bound when scaled; make sure some mass can grow.
  double reach = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) reach += x[i] > 0.0 ? hi[i] : lo[i];
  if (reach < 1.0 - 1e-12) {
    for (Eigen::Index i = 0; i < n; ++i)
      if (x[i] <= 0.0 && hi[i] > lo[i]) x[i] = 1e-12;  // let every open entry take mass
    reach = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) reach += x[i] > 0.0 ? hi[i] : lo[i];
    if (reach < 1.0 - 1e-12) return false;
  }
  // clip(s * x, lo, hi) sums to a non-decreasing function of s: find s with sum 1 by bisection,
  // i.e. clip to the bounds and renormalize the entries that are still free.
  Eigen::VectorXd y = x;
  auto total = [&](double s) { return (s * y).cwiseMax(lo).cwiseMin(hi).sum(); };
  double a = 0.0, b = 1.0;
  while (total(b) < 1.0 && b < 1e300) b *= 2.0;
  for (int it = 0; it < 200 && b - a > 1e-17 * b; ++it) {
    double m = 0.5 * (a + b);
    (total(m) < 1.0 ? a : b) = m;
  }
  x = (b * y).cwiseMax(lo).cwiseMin(hi);
  // Put the last rounding residual on the entry with the most room in the needed direction.
  double r = 1.0 - x.sum();
  if (r != 0.0) {
    Eigen::Index best = -1;
    double room = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double rm = r > 0 ? hi[i] - x[i] : x[i] - lo[i];
      if (x[i] > 0.0 && rm > room) {
        room = rm;
        best = i;
      }
    }
    if (best >= 0) x[best] += r > 0 ? std::min(r, room) : -std::min(-r, room);
  }
  return std::abs(x.sum() - 1.0) <= 1e-12;
}

bool round_to_grid(Eigen::Ref<Eigen::VectorXd> x, int units_total, const std::vector<int>& lo_units,
                   const std::vector<int>& hi_units) {
  const auto n = static_cast<std::size_t>(x.size());
  std::vector<int> u(n);
  std::vector<double> rem(n);
  long sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double t = x[static_cast<Eigen::Index>(i)] * units_total;
    int f = static_cast<int>(std::floor(t + 1e-12));
    f = std::clamp(f, lo_units[i], hi_units[i]);
    u[i] = f;
    rem[i] = t - f;
    sum += f;
  }
  // Largest remainder: hand the missing units to the entries that lost the most by flooring
  // (or take surplus units from those that gained the most), within their bounds.
  while (sum != units_total) {
    bool up = sum < units_total;
    std::size_t best = n;
    for (std::size_t i = 0; i < n; ++i) {
      bool ok = up ? u[i] < hi_units[i] : u[i] > lo_units[i];
      if (!ok) continue;
      if (best == n || (up ? rem[i] > rem[best] : rem[i] < rem[best])) best = i;
    }
    if (best == n) return false;
    u[best] += up ? 1 : -1;
    rem[best] += up ? -1.0 : 1.0;
    sum += up ? 1 : -1;
  }
  for (std::size_t i = 0; i < n; ++i) x[static_cast<Eigen::Index>(i)] = static_cast<double>(u[i]) / units_total;
  return true;
}

Eigen::VectorXd map_uniform_to_point(const DesignSpace& space, const double* uniforms) {
  const auto& comp = space.spec().composition;
  const int ne = space.num_elements();
  Eigen::VectorXd p = Eigen::VectorXd::Zero(space.dimension());
  if (ne > 0) {
    // Exponential spacings of uniforms, normalized, are uniform on the simplex (Dirichlet(1)).
    Eigen::VectorXd e(ne);
    for (int i = 0; i < ne; ++i) e[i] = -std::log1p(-std::min(uniforms[i], 1.0 - 1e-16)) + 1e-12;
    const int kmax = space.max_components();
    std::vector<int> req, opt;
    for (int i = 0; i < ne; ++i) {
      if (comp.elements[i].required) req.push_back(i);
      else if (comp.elements[i].max > 0.0) opt.push_back(i);
    }
    const int nreq = static_cast<int>(req.size());
    const int kmin = std::max(nreq, 1);
    const int kcap = std::min(kmax, nreq + static_cast<int>(opt.size()));
    int k = kmin + static_cast<int>(std::floor(uniforms[ne + space.num_process()] * (kcap - kmin + 1)));
    k = std::clamp(k, kmin, kcap);
    // Support: required elements plus the optional ones with the largest spacing.
    std::sort(opt.begin(), opt.end(), [&](int a, int b) { return e[a] > e[b] || (e[a] == e[b] && a < b); });
    std::vector<char> in(ne, 0);
    double max_sum = 0.0;
    for (int i : req) {
      in[i] = 1;
      max_sum += comp.elements[i].max;
    }
    int used = nreq;
    for (int i : opt) {
      if (used >= k) break;
      in[i] = 1;
      max_sum += comp.elements[i].max;
      ++used;
    }
    if (max_sum < 1.0) {
      // The chosen support cannot reach 1: grow it with the largest maxima, or swap to them.
      std::vector<int> by_max = opt;
      std::sort(by_max.begin(), by_max.end(), [&](int a, int b) {
        return comp.elements[a].max > comp.elements[b].max || (comp.elements[a].max == comp.elements[b].max && a < b);
      });
      for (int i : by_max) {
        if (max_sum >= 1.0 || used >= kmax) break;
        if (!in[i]) {
          in[i] = 1;
          max_sum += comp.elements[i].max;
          ++used;
        }
      }
      if (max_sum < 1.0) {
        std::fill(in.begin(), in.end(), 0);
        for (int i : req) in[i] = 1;
        for (int j = 0; j < kmax - nreq && j < static_cast<int>(by_max.size()); ++j) in[by_max[j]] = 1;
      }
    }
    Eigen::VectorXd x(ne), lo(ne), hi(ne);
    for (int i = 0; i < ne; ++i) {
      x[i] = in[i] ? e[i] : 0.0;
      lo[i] = in[i] ? comp.elements[i].min : 0.0;
      hi[i] = in[i] ? comp.elements[i].max : 0.0;
    }
    x /= x.sum();
    repair_fractions(x, lo, hi);
    const int total = detail::grid_units(space);
    if (total > 0) {
      std::vector<int> lu(ne), hu(ne);
      for (int i = 0; i < ne; ++i) {
        lu[i] = in[i] ? detail::lo_units(comp.elements[i], total) : 0;
        hu[i] = in[i] ? detail::hi_units(comp.elements[i], total) : 0;
      }
      if (!round_to_grid(x, total, lu, hu)) {
        // Rounding within this support failed (tight bounds): fall back to every allowed element.
        for (int i = 0; i < ne; ++i) {
          lu[i] = detail::lo_units(comp.elements[i], total);
          hu[i] = detail::hi_units(comp.elements[i], total);
        }
        round_to_grid(x, total, lu, hu);
      }
    }
    p.head(ne) = x;
  }
  for (int j = 0; j < space.num_process(); ++j) {
    const auto& q = space.spec().process[j];
    const double u = uniforms[ne + j];
    double v;
    switch (q.kind) {
      case ParameterKind::Continuous:
        v = q.log_scale ? std::exp(std::log(q.lower) + u * (std::log(q.upper) - std::log(q.lower)))
                        : q.lower + u * (q.upper - q.lower);
        v = std::clamp(v, q.lower, q.upper);
        break;
      case ParameterKind::Integer: {
        double lo = std::ceil(q.lower), hi = std::floor(q.upper);
        v = std::min(hi, lo + std::floor(u * (hi - lo + 1.0)));
        break;
      }
      case ParameterKind::Categorical:
      default:
        v = std::min(static_cast<double>(q.categories.size() - 1), std::floor(u * static_cast<double>(q.categories.size())));
        break;
    }
    p[ne + j] = v;
  }
  return p;
}

Eigen::MatrixXd sample_design_points(const DesignSpace& space, int n, std::uint64_t seed, const SampleOptions& options) {
  if (n < 0) throw InvalidArgument("sample_design_points: n must be >= 0");
  const int d = space.dimension();
  if (d == 0)
    throw InvalidArgument("sample_design_points: the design space has no composition or process parameters; its candidates come only from the pool file");
  if (space.has_pool())
    throw InvalidArgument("sample_design_points: the design space's candidates come from its pool file; use sample_pool_points");
  const int nu = d + 1;
  Eigen::MatrixXd out(n, d);
  if (n == 0) return out;
  const int sobol_dim = std::min(nu, SobolSequence::kMaxDimension);
  SobolSequence sobol(sobol_dim, derive_seed(seed, 1) | 1u);
  Rng rng(derive_seed(seed, 2));
  std::vector<double> u(nu);
  const long budget = static_cast<long>(n) * std::max(1, options.attempts_per_point);
  long attempts = 0;
  int got = 0;
  std::vector<Violation> first_violations;
  std::map<std::string, long> rejected_by;
  while (got < n) {
    if (attempts >= budget) {
      std::string why;
      for (const auto& [field, count] : rejected_by) why += "\n  " + field + ": rejected " + std::to_string(count) + " draws";
      throw DataError("design space: sampling found only " + std::to_string(got) + " of " + std::to_string(n) +
                            " feasible points in " + std::to_string(attempts) +
                            " draws; the linear or descriptor constraints leave too small a part of the space (or none):" + why);
    }
    ++attempts;
    if (options.method == SampleMethod::Sobol) {
      sobol.next(u.data());
      for (int i = sobol_dim; i < nu; ++i) u[i] = uniform01(rng);
    } else {
      for (int i = 0; i < nu; ++i) u[i] = uniform01(rng);
    }
    Eigen::VectorXd p = map_uniform_to_point(space, u.data());
    auto v = space.validate(p);
    if (!v.empty()) {
      for (const auto& x : v) ++rejected_by[x.field];
      continue;
    }
    out.row(got++) = p.transpose();
  }
  return out;
}

}  // namespace matopt
