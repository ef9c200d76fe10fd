// SPDX-License-Identifier: MIT
// Descriptor constraints of a DesignSpace: bounds on alloy descriptors (VEC, delta, omega, ...) of the
// composition, checked by validate() and refused at construction when no point of the space meets them.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/alloy.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/sampling.hpp"

namespace matopt {

namespace {

constexpr int kCheckDraws = 4096;              // points of the space drawn by the construction check
constexpr std::uint64_t kCheckSeed = 0x25d5c;  // fixed: the check gives the same answer every time

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw DataError("design space: " + path + ": " + message);
}

// Same tolerance as linear constraints (1e-9 relative), so VEC = 8 computed as 7.999999999999999 holds.
double tol(double bound) { return 1e-9 * std::max(1.0, std::isfinite(bound) ? std::abs(bound) : 0.0); }
bool holds(const DescriptorConstraint& c, double v) { return v >= c.min - tol(c.min) && v <= c.max + tol(c.max); }  // false for NaN

std::string valid_names() {
  std::string s;
  for (const auto& n : alloy_descriptor_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

std::string DescriptorConstraint::text() const {
  const bool lo = std::isfinite(min), hi = std::isfinite(max);
  if (lo && hi) return fmt(min) + " <= " + descriptor + " <= " + fmt(max);
  if (lo) return descriptor + " >= " + fmt(min);
  return descriptor + " <= " + fmt(max);
}

bool DesignSpace::descriptor_values(std::span<const double> fractions, double* out) const {
  // Absent elements (fraction 0) are left out, so their missing data cannot make a descriptor NaN.
  std::array<std::uint8_t, kMaxZ + 1> z{};
  std::array<double, kMaxZ + 1> x{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < element_z_.size() && i < fractions.size(); ++i)
    if (fractions[i] > 0.0) {
      z[n] = element_z_[i];
      x[n++] = fractions[i];
    }
  if (n == 0) return false;
  alloy_descriptors(std::span<const std::uint8_t>(z.data(), n), std::span<const double>(x.data(), n), out);
  return true;
}

bool DesignSpace::satisfies_descriptor_constraints(std::span<const double> fractions) const {
  if (descriptor_index_.empty()) return true;
  double v[16];
  if (fractions.size() < element_z_.size() || !descriptor_values(fractions, v)) return false;
  for (std::size_t c = 0; c < descriptor_index_.size(); ++c)
    if (!holds(spec_.descriptor_constraints[c], v[descriptor_index_[c]])) return false;
  return true;
}

void DesignSpace::add_descriptor_violations(const Eigen::VectorXd& point, std::vector<Violation>& out) const {
  if (descriptor_index_.empty()) return;
  double v[16];
  if (!descriptor_values(std::span<const double>(point.data(), element_z_.size()), v)) return;
  for (std::size_t c = 0; c < descriptor_index_.size(); ++c) {
    const auto& dc = spec_.descriptor_constraints[c];
    const double value = v[descriptor_index_[c]];
    if (std::isnan(value))
      out.push_back({dc.text(), dc.descriptor + " is NaN (an element or pair of this composition has no data for it)"});
    else if (!holds(dc, value))
      out.push_back({dc.text(), "violated: " + dc.descriptor + " is " + fmt(value)});
  }
}

/// Resolves the constraints, then draws kCheckDraws points of the space without them and refuses the
/// space when no drawn point meets a constraint (naming it, with the range the draws reached) or when no
/// drawn point meets them all together.
void DesignSpace::check_descriptor_constraints() {
  auto& dcs = spec_.descriptor_constraints;
  if (dcs.empty()) return;
  if (num_elements() == 0) fail("descriptor_constraints", "descriptor constraints need a composition block");
  for (std::size_t c = 0; c < dcs.size(); ++c) {
    const std::string path = "descriptor_constraints[" + std::to_string(c) + "]";
    const int idx = alloy_descriptor_index(dcs[c].descriptor);
    if (idx < 0) fail(path + ".descriptor", "unknown descriptor '" + dcs[c].descriptor + "' (expected one of: " + valid_names() + ")");
    if (std::isnan(dcs[c].min) || std::isnan(dcs[c].max) || !(dcs[c].min <= dcs[c].max) ||
        (!std::isfinite(dcs[c].min) && !std::isfinite(dcs[c].max)))
      fail(path, "expected min <= max with at least one finite bound, got [" + fmt(dcs[c].min) + ", " + fmt(dcs[c].max) + "]");
    descriptor_index_.push_back(idx);
  }
  element_z_.clear();
  for (const auto& e : spec_.composition.elements) element_z_.push_back(static_cast<std::uint8_t>(element_z(e.symbol)));
  for (std::size_t i = 0; i < element_z_.size(); ++i)
    if (element_z_[i] == 0)
      fail("composition.elements", "descriptor constraints need element symbols, got '" + spec_.composition.elements[i].symbol + "'");

  // Draw points that satisfy everything else (validate() skips the descriptors while they are stashed).
  std::vector<int> stash;
  stash.swap(descriptor_index_);
  const int nu = dimension() + 1;
  const int sobol_dim = std::min(nu, SobolSequence::kMaxDimension);
  SobolSequence sobol(sobol_dim, derive_seed(kCheckSeed, 1) | 1u);
  Rng rng(derive_seed(kCheckSeed, 2));
  std::vector<double> u(nu);
  std::vector<long> met(dcs.size(), 0);
  std::vector<double> lo(dcs.size(), std::numeric_limits<double>::infinity()), hi(dcs.size(), -lo[0]);
  long valid = 0, all = 0;
  double v[16];
  for (int draw = 0; draw < kCheckDraws; ++draw) {
    sobol.next(u.data());
    for (int i = sobol_dim; i < nu; ++i) u[i] = uniform01(rng);
    const Eigen::VectorXd p = map_uniform_to_point(*this, u.data());
    if (!validate(p).empty() || !descriptor_values(std::span<const double>(p.data(), element_z_.size()), v)) continue;
    ++valid;
    bool every = true;
    for (std::size_t c = 0; c < dcs.size(); ++c) {
      const double value = v[stash[c]];
      if (!std::isnan(value)) {
        lo[c] = std::min(lo[c], value);
        hi[c] = std::max(hi[c], value);
      }
      const bool ok = holds(dcs[c], value);
      met[c] += ok;
      every = every && ok;
    }
    all += every;
  }
  stash.swap(descriptor_index_);
  if (valid == 0) return;  // the other constraints already leave (almost) nothing; the sampler explains
  for (std::size_t c = 0; c < dcs.size(); ++c)
    if (met[c] == 0)
      fail("descriptor_constraints[" + std::to_string(c) + "]",
           "infeasible: '" + dcs[c].text() + "' holds at none of " + std::to_string(valid) + " points drawn from the space (" +
               dcs[c].descriptor + " ranged over [" + fmt(lo[c]) + ", " + fmt(hi[c]) + "] there)");
  if (all == 0) {
    std::string names;
    for (const auto& c : dcs) names += (names.empty() ? "'" : ", '") + c.text() + "'";
    fail("descriptor_constraints", "infeasible: each constraint holds somewhere, but " + names + " hold together at none of " +
                                       std::to_string(valid) + " points drawn from the space");
  }
}

}  // namespace matopt
