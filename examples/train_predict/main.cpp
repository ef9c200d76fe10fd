// Train a surrogate on compositions and predict with uncertainty (mean, epistemic and aleatoric std).
#include <matopt/core/dataset.hpp>
#include <matopt/models/model.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

int main() {
  // A small synthetic data set over the Fe-Ni-Cr triangle: the property is a smooth function of
  // composition plus a little noise, so the model has something real to learn.
  matopt::Dataset data;
  data.composition_column = "composition";
  matopt::Column target{"property", matopt::ColumnType::Continuous, {}, {}};
  int id = 0;
  for (int i = 0; i <= 10; ++i) {
    for (int j = 0; i + j <= 10; j += 2) {
      const double fe = i / 10.0, ni = j / 10.0, cr = 1.0 - fe - ni;
      std::vector<std::pair<int, double>> amounts;
      if (fe > 0) amounts.emplace_back(26, fe);
      if (ni > 0) amounts.emplace_back(28, ni);
      if (cr > 1e-12) amounts.emplace_back(24, cr);
      data.compositions.push_back(matopt::Composition::from_amounts(amounts));
      data.formulas.push_back(data.compositions.back().formula());
      data.ids.push_back(std::to_string(++id));
      const double noise = 0.01 * std::sin(37.0 * id);
      target.values.push_back(1.0 + 2.0 * fe * ni - cr * cr + noise);
    }
  }
  data.targets.push_back(target);

  matopt::ModelOptions options;
  options.model = "gp";
  options.features.features = "fractions";
  options.seed = 1;
  const auto model = matopt::Model::train(data, {"property"}, options);

  // Predict inside the training triangle and at a composition with the same elements far from the data.
  matopt::Dataset query;
  query.composition_column = "composition";
  for (const char* f : {"Fe0.45Ni0.35Cr0.2", "Fe0.05Ni0.9Cr0.05"}) {
    query.compositions.push_back(matopt::Composition::parse(f));
    query.formulas.emplace_back(f);
    query.ids.emplace_back(f);
  }
  const auto pred = model.predict(query)[0];
  for (Eigen::Index i = 0; i < pred.size(); ++i) {
    std::printf("%-20s mean %.4f  std %.4f  (epistemic %.4f, aleatoric %.4f)\n", query.ids[i].c_str(),
                pred.mean[i], std::sqrt(pred.variance[i]), std::sqrt(pred.epistemic_variance[i]),
                std::sqrt(pred.aleatoric_variance[i]));
  }
  const double truth0 = 1.0 + 2.0 * 0.45 * 0.35 - 0.2 * 0.2;
  if (std::abs(pred.mean[0] - truth0) > 0.1) return 1;
  return 0;
}
