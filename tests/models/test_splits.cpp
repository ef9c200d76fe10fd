// SPDX-License-Identifier: MIT
// Out-of-distribution splits on hand-built tables: each holds out exactly the rows it should.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/models/splits.hpp"

using namespace matopt;

namespace {

using Rows = std::vector<std::size_t>;

Dataset with_compositions(const std::vector<std::string>& formulas) {
  Dataset d;
  d.composition_column = "composition";
  for (std::size_t i = 0; i < formulas.size(); ++i) {
    d.ids.push_back(std::to_string(i + 1));
    d.formulas.push_back(formulas[i]);
    d.compositions.push_back(Composition::parse(formulas[i]));
  }
  return d;
}

Dataset with_column(Column c) {
  Dataset d;
  for (std::size_t i = 0; i < c.values.size(); ++i) d.ids.push_back(std::to_string(i + 1));
  d.process.push_back(std::move(c));
  return d;
}

const DataSplit& by_label(const std::vector<DataSplit>& s, const std::string& label) {
  for (const auto& x : s)
    if (x.label == label) return x;
  FAIL("no split labelled " << label);
  return s.front();
}

}  // namespace

TEST_CASE("parse_split: the five forms and their errors", "[splits]") {
  CHECK(parse_split("random").kind == SplitKind::Random);
  CHECK(parse_split("loco").kind == SplitKind::Cluster);
  CHECK(parse_split("element").kind == SplitKind::Element);
  const SplitSpec g = parse_split("group:lab");
  CHECK(g.kind == SplitKind::Group);
  CHECK(g.column == "lab");
  CHECK(g.text() == "group:lab");
  CHECK(parse_split("time:year").text() == "time:year");
  CHECK_THROWS_AS(parse_split("kfold"), InvalidArgument);
  CHECK_THROWS_AS(parse_split("group"), InvalidArgument);      // needs a column
  CHECK_THROWS_AS(parse_split("group:"), InvalidArgument);
  CHECK_THROWS_AS(parse_split("loco:lab"), InvalidArgument);   // takes none
}

TEST_CASE("element split: every row containing the element, and only those, is held out", "[splits]") {
  // Fe in rows 0, 1, 4, 5; Ni in 0, 2; Cr in 2, 3, 4; Co only in row 5.
  const Dataset d = with_compositions({"Fe0.5Ni0.5", "Fe", "Ni0.3Cr0.7", "Cr", "FeCr", "Fe0.9Co0.1"});
  SplitSpec spec;
  spec.kind = SplitKind::Element;
  spec.min_rows = 2;
  std::vector<std::string> skipped;
  const std::vector<DataSplit> s = make_splits(d, spec, &skipped);
  REQUIRE(s.size() == 3);  // Cr, Fe, Ni (ascending Z: Cr 24, Fe 26, Ni 28); Co is in 1 row
  CHECK(s[0].label == "Cr");
  CHECK(by_label(s, "Fe").test == Rows{0, 1, 4, 5});
  CHECK(by_label(s, "Fe").train == Rows{2, 3});
  CHECK(by_label(s, "Ni").test == Rows{0, 2});
  CHECK(by_label(s, "Ni").train == Rows{1, 3, 4, 5});
  CHECK(by_label(s, "Cr").test == Rows{2, 3, 4});
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0] == "1 elements in fewer than 2 rows (--min-rows)");

  spec.min_rows = 3;  // Fe (4 rows) would leave 2 to train on; Ni is in 2 rows: only Cr remains
  skipped.clear();
  const std::vector<DataSplit> s3 = make_splits(d, spec, &skipped);
  REQUIRE(s3.size() == 1);
  CHECK(s3[0].label == "Cr");
  CHECK(std::find(skipped.begin(), skipped.end(), "Fe: in 4 of 6 rows, fewer than 3 left to train on") != skipped.end());
  spec.min_rows = 4;
  CHECK_THROWS_AS(make_splits(d, spec), DataError);
}

TEST_CASE("group split: one fold per distinct value, in label order", "[splits]") {
  Column lab{"lab", ColumnType::Categorical, {0, 1, 0, 2, 1}, {"B", "A", "C"}};
  const Dataset d = with_column(lab);
  SplitSpec spec = parse_split("group:lab");
  const std::vector<DataSplit> s = make_splits(d, spec);
  REQUIRE(s.size() == 3);
  CHECK(s[0].label == "A");
  CHECK(s[0].test == Rows{1, 4});
  CHECK(s[0].train == Rows{0, 2, 3});
  CHECK(s[1].label == "B");
  CHECK(s[1].test == Rows{0, 2});
  CHECK(s[2].label == "C");
  CHECK(s[2].test == Rows{3});

  Column gap = lab;
  gap.values[2] = std::nan("");
  try {
    make_splits(with_column(gap), spec);
    FAIL("an empty group cell must be refused");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("row 4, column 'lab': empty cell") != std::string::npos);
  }
  CHECK_THROWS_AS(make_splits(d, parse_split("group:site")), InvalidArgument);
  Column one{"lab", ColumnType::Categorical, {0, 0, 0}, {"A"}};
  CHECK_THROWS_AS(make_splits(with_column(one), spec), DataError);
}

TEST_CASE("time split: forward chaining, ties never straddle a boundary", "[splits]") {
  // Sorted by year: rows 1, 3 (2018), 2 (2019), 0, 5 (2020), 4 (2021). Two steps cut the 6 rows into
  // 3 blocks at 2 and 4; the cut at 4 falls between the two 2020 rows and moves to 5.
  Column year{"year", ColumnType::Integer, {2020, 2018, 2019, 2018, 2021, 2020}, {}};
  SplitSpec spec = parse_split("time:year");
  spec.folds = 2;
  const std::vector<DataSplit> s = make_splits(with_column(year), spec);
  REQUIRE(s.size() == 2);
  CHECK(s[0].train == Rows{1, 3});
  CHECK(s[0].test == Rows{0, 2, 5});
  CHECK(s[0].label == "year in [2019, 2020]");
  CHECK(s[1].train == Rows{0, 1, 2, 3, 5});
  CHECK(s[1].test == Rows{4});
  CHECK(s[1].label == "year in [2021, 2021]");

  // ISO dates as text sort in time order.
  Column date{"date", ColumnType::Categorical, {0, 1, 2, 3}, {"2021-03-01", "2020-12-31", "2021-01-15", "2019-07-04"}};
  SplitSpec ds = parse_split("time:date");
  ds.folds = 1;
  const std::vector<DataSplit> t = make_splits(with_column(date), ds);
  REQUIRE(t.size() == 1);
  CHECK(t[0].train == Rows{1, 3});
  CHECK(t[0].test == Rows{0, 2});
}

TEST_CASE("random split: a seeded partition into K folds", "[splits]") {
  Column x{"x", ColumnType::Continuous, std::vector<double>(11, 1.0), {}};
  SplitSpec spec;
  spec.folds = 3;
  spec.seed = 5;
  const std::vector<DataSplit> s = make_splits(with_column(x), spec);
  REQUIRE(s.size() == 3);
  std::vector<int> seen(11, 0);
  for (const auto& f : s) {
    CHECK(f.train.size() + f.test.size() == 11);
    for (std::size_t i : f.test) ++seen[i];
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
  CHECK(make_splits(with_column(x), spec)[1].test == s[1].test);
}

TEST_CASE("loco: k-means finds two separated blobs; each cluster is held out once", "[splits]") {
  // Rows 0-3 near (0, 0), rows 4-7 near (10, 100): any seed separates them.
  Column a{"a", ColumnType::Continuous, {0.1, -0.2, 0.0, 0.3, 10.2, 9.8, 10.0, 10.1}, {}};
  Column b{"b", ColumnType::Continuous, {1, -1, 0, 2, 99, 101, 100, 98}, {}};
  Dataset d = with_column(a);
  d.process.push_back(b);
  for (std::uint64_t seed : {0u, 1u, 7u}) {
    SplitSpec spec = parse_split("loco");
    spec.folds = 2;
    spec.seed = seed;
    const std::vector<DataSplit> s = make_splits(d, spec);
    REQUIRE(s.size() == 2);
    CHECK(s[0].label == "cluster 1");
    CHECK(s[0].test == Rows{0, 1, 2, 3});  // cluster 1 holds row 0
    CHECK(s[1].test == Rows{4, 5, 6, 7});
    CHECK(s[1].train == Rows{0, 1, 2, 3});
  }
}

TEST_CASE("kmeans_clusters: standardized, deterministic, a constant column ignored", "[splits]") {
  // Column 1 is constant; column 0 has three groups at 0, 5 and 20 (unequal gaps).
  Eigen::MatrixXd X(6, 2);
  X << 0, 3, 0.1, 3, 5, 3, 5.1, 3, 20, 3, 20.2, 3;
  const std::vector<int> c = kmeans_clusters(X, 3, 11);
  CHECK(c == std::vector<int>{0, 0, 1, 1, 2, 2});
  CHECK(kmeans_clusters(X, 3, 11) == c);
  CHECK(kmeans_clusters(X, 1, 11) == std::vector<int>(6, 0));
  CHECK_THROWS_AS(kmeans_clusters(X, 7, 11), InvalidArgument);
}
