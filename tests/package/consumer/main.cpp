// An outside project using the installed package: it knows nothing about HDF5, spdlog or libtorch.
#include <matopt/core/composition.hpp>
#include <matopt/core/elements.hpp>
#include <matopt/core/version.hpp>

#include <cmath>
#include <cstdio>

int main() {
  const auto comp = matopt::Composition::parse("Fe2O3");
  if (std::abs(comp.fraction(26) - 0.4) > 1e-12) {
    std::fprintf(stderr, "unexpected Fe fraction %g\n", comp.fraction(26));
    return 1;
  }
  // The installed element tables are found relative to the installed library.
  const auto& table = matopt::ElementTable::instance();
  const double z_fe = table.value(table.property_index("Number"), 26);
  if (z_fe != 26.0) {
    std::fprintf(stderr, "unexpected property value %g\n", z_fe);
    return 1;
  }
  std::printf("matopt %s: Fe2O3 -> %s\n", matopt::version().c_str(), comp.formula().c_str());
  return 0;
}
