// SPDX-License-Identifier: MIT
#include "models/binning.hpp"

#include <algorithm>
#include <numeric>

#include "core/parallel.hpp"

namespace matopt::detail {

Binned bin_columns(const Eigen::MatrixXd& X, int max_bins, int threads) {
  using Eigen::Index;
  Binned b;
  b.n = X.rows();
  b.bins.resize(static_cast<std::size_t>(X.rows() * X.cols()));
  b.cuts.resize(static_cast<std::size_t>(X.cols()));
  parallel_chunks(static_cast<std::size_t>(X.cols()), threads, 8, [&](std::size_t c0, std::size_t c1) {
    std::vector<double> v;
    for (auto j = static_cast<Index>(c0); j < static_cast<Index>(c1); ++j) {
      v.assign(X.col(j).data(), X.col(j).data() + X.rows());
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
      const std::size_t u = v.size();
      auto& cuts = b.cuts[static_cast<std::size_t>(j)];
      const auto bins = static_cast<std::size_t>(max_bins);
      // std::midpoint neither overflows nor rounds onto the upper value for adjacent doubles.
      if (u <= bins) {
        for (std::size_t i = 0; i + 1 < u; ++i) cuts.push_back(std::midpoint(v[i], v[i + 1]));
      } else {
        // Cuts at evenly spaced positions among the distinct values (not the rows), so that a column
        // with a heavy spike (e.g. many zero fractions) still spends its bins on the rest.
        for (std::size_t k = 1; k < bins; ++k) {
          const std::size_t i = k * u / bins;
          const double c = std::midpoint(v[i - 1], v[i]);
          if (cuts.empty() || c > cuts.back()) cuts.push_back(c);
        }
      }
      std::uint8_t* out = b.bins.data() + static_cast<std::size_t>(j * X.rows());
      for (Index i = 0; i < X.rows(); ++i)
        out[i] = static_cast<std::uint8_t>(std::lower_bound(cuts.begin(), cuts.end(), X(i, j)) - cuts.begin());
    }
  });
  return b;
}

}  // namespace matopt::detail
