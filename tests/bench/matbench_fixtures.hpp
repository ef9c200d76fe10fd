// SPDX-License-Identifier: MIT
// Small datasets and helpers shared by the Matbench runner's tests (test_bench and test_torch).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "matopt/bench/matbench.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/dataset.hpp"

namespace matopt::test {

// Fe-Ni-Cu compositions on a grid of sevenths (36 rows), target(x_Fe, x_Ni, x_Cu) in column "y".
inline Dataset ternary_grid(const std::function<double(double, double, double)>& target, ColumnType type) {
  Dataset d;
  d.composition_column = "composition";
  Column y;
  y.name = "y";
  y.type = type;
  const int steps = 7;
  for (int i = 0; i <= steps; ++i)
    for (int j = 0; i + j <= steps; ++j) {
      const double fe = double(i) / steps, ni = double(j) / steps, cu = 1.0 - fe - ni;
      std::string f;
      if (i > 0) f += "Fe" + std::to_string(i);
      if (j > 0) f += "Ni" + std::to_string(j);
      if (steps - i - j > 0) f += "Cu" + std::to_string(steps - i - j);
      d.ids.push_back(std::to_string(d.ids.size() + 1));
      d.formulas.push_back(f);
      d.compositions.push_back(Composition::parse(f));
      y.values.push_back(target(fe, ni, cu));
    }
  d.targets.push_back(y);
  return d;
}

// A run holding one finished fold, for the table and the results file.
inline MatbenchRun one_fold_run(const MatbenchFoldResult& fold, std::size_t n_rows, std::size_t n_folds) {
  MatbenchRun run;
  run.task = "ternary";
  run.target = "y";
  run.n_rows = n_rows;
  run.n_folds = n_folds;
  run.signature = "{}";
  run.folds = {fold};
  return run;
}

}  // namespace matopt::test
