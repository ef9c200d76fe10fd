// SPDX-License-Identifier: MIT
/// @file
/// @brief What drives a model's predictions (`matopt explain`, docs/explain.md): permutation
/// importance grouped by feature family, partial dependence on each element's fraction, and the
/// exact Shapley values of tree models (tree_shap.hpp) summed per family.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "matopt/core/dataset.hpp"

namespace matopt {

class Model;

/// @brief The family of a pipeline column: "Magpie <property>" for "MagpieData <statistic>
/// <property>" (a property across its statistics), "fraction <El>" for an element-fraction column,
/// the column's own name otherwise (a process parameter, a stoichiometry norm, an alloy descriptor).
std::string feature_group(const std::string& label);

/// @brief Columns of each family, in order of first appearance.
struct FeatureGroups {
  std::vector<std::string> names;
  std::vector<std::vector<Eigen::Index>> columns;
};
FeatureGroups group_features(const std::vector<std::string>& labels);

struct GroupImportance {
  std::string group;
  double mean = 0, std = 0;  ///< over repeats: MAE after permuting the family's columns − MAE before
};

/// @brief Permutation importance (Breiman 2001; Fisher et al. 2019) of each family: the rows of the
/// family's columns are shuffled together (one seeded permutation per repeat), the increase of the
/// error is averaged over `repeats`. The error is the MAE against `y` when given (non-empty), else
/// the mean absolute change of the prediction. Sorted by decreasing mean.
std::vector<GroupImportance> permutation_importance(const std::function<Eigen::VectorXd(const Eigen::MatrixXd&)>& predict,
                                                    const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                                    const FeatureGroups& groups, int repeats, std::uint64_t seed);

/// @brief Mean |Shapley value| of each family (its columns' values summed per row first), sorted by
/// decreasing value.
std::vector<GroupImportance> shap_group_importance(const Eigen::MatrixXd& phi, const FeatureGroups& groups);

/// @brief Partial dependence of a target's predicted mean on one element's fraction.
struct PartialDependence {
  std::string element;
  std::vector<double> fraction;  ///< grid 0 .. the largest fraction in the data
  std::vector<double> mean;      ///< mean prediction over the rows with the element set to it
};

/// @brief For each element of the data's compositions: every row's fraction of it is set to each
/// grid value t (`points` values from 0 to its largest fraction in the data) and the other elements
/// scaled to share 1 − t in their original proportions (rows of the pure element keep t = 1 only);
/// the prediction of `target` is averaged over the rows. Throws InvalidArgument without a composition.
std::vector<PartialDependence> element_partial_dependence(const Model& model, std::size_t target, const Dataset& data,
                                                          int points = 11);

}  // namespace matopt
