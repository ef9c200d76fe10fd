// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/crc32.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

// A fresh directory per test case, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("matopt_core_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

fs::path fixture(const std::string& name) { return fs::path(MATOPT_TEST_FIXTURES_DIR) / "core" / name; }

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("CSV: BOM, CRLF, quotes, embedded commas/quotes/newlines, empty cells", "[csv]") {
  const auto t = read_csv(fixture("quirks.csv"));
  REQUIRE(t.header == std::vector<std::string>{"id", "name, with comma", "yield strength", "note", "ok"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"A1", "Fe2O3", "10.5", "said \"hi\", twice", "True"});
  CHECK(t.rows[1] == std::vector<std::string>{"A2", "Ni0.3Fe0.7", "", "plain", "false"});
  CHECK(t.rows[2] == std::vector<std::string>{"A3", "Pt1 C1", "-3e2", "multi\nline", ""});
  CHECK(t.line_of_row == std::vector<std::size_t>{2, 3, 4});
  CHECK(t.column("note") == 3);
  CHECK_THAT(message_of([&] { (void)t.column("nope"); }), Catch::Contains("no column named 'nope'") &&
                                                             Catch::Contains("'yield strength'"));

  // LF, lone CR, no trailing newline, trailing empty cell.
  const auto u = parse_csv("a,b\n1,\n2,3", "mem.csv");
  CHECK(u.rows == std::vector<std::vector<std::string>>{{"1", ""}, {"2", "3"}});
  const auto v = parse_csv("a,b\r1,2\r", "mem.csv");
  CHECK(v.rows == std::vector<std::vector<std::string>>{{"1", "2"}});

  CHECK_THAT(message_of([] { parse_csv("a,b\n1,2\n3\n", "w.csv"); }),
             Catch::Contains("w.csv: row 3") && Catch::Contains("expected 2 cells") && Catch::Contains("found 1"));
  CHECK_THAT(message_of([] { parse_csv("a,b\n1,\"open\n", "q.csv"); }),
             Catch::Contains("q.csv: row 2, column 'b'") && Catch::Contains("never closed"));
  CHECK_THAT(message_of([] { parse_csv("a,b\n\"x\"y,2\n", "j.csv"); }), Catch::Contains("after a closing quote"));
  CHECK_THROWS_AS(parse_csv("", "e.csv"), DataError);
  CHECK_THROWS_AS(read_csv("/nonexistent/file.csv"), IOError);
  CsvLimits lim;
  lim.max_field_bytes = 4;
  CHECK_THAT(message_of([&] { parse_csv("a\n12345\n", "l.csv", lim); }), Catch::Contains("longer than 4 bytes"));
}

TEST_CASE("CSV: escape, write atomically, stream rows", "[csv]") {
  CHECK(csv_escape("plain") == "plain");
  CHECK(csv_escape("a,b") == "\"a,b\"");
  CHECK(csv_escape("say \"x\"") == "\"say \"\"x\"\"\"");
  CHECK(csv_escape("l1\nl2") == "\"l1\nl2\"");
  TempDir dir;
  const auto out = dir / "o.csv";
  write_csv(out, {"k", "v"}, {{"a,1", "x\"y"}, {"", "2"}});
  CHECK(read_text(out) == "k,v\n\"a,1\",\"x\"\"y\"\n,2\n");
  const auto back = read_csv(out);
  CHECK(back.rows[0] == std::vector<std::string>{"a,1", "x\"y"});
  CHECK(dir.entries() == 1);  // no temporary left beside it
  CHECK_THROWS_AS(write_csv(out, {"k"}, {{"a", "b"}}), InvalidArgument);
  CHECK(read_text(out) == "k,v\n\"a,1\",\"x\"\"y\"\n,2\n");  // untouched by the failed write

  std::vector<std::string> header;
  std::vector<std::size_t> lines;
  for_each_csv_row(fixture("quirks.csv"), [&](const std::vector<std::string>& h) { header = h; },
                   [&](const std::vector<std::string>& cells, std::size_t line) {
                     lines.push_back(line);
                     return cells[0] != "A2";  // stop after the second row
                   });
  CHECK(header.size() == 5);
  CHECK(lines == std::vector<std::size_t>{2, 3});
}

TEST_CASE("numbers: strict parsing and shortest exact formatting", "[csv]") {
  double v = 0;
  CHECK((parse_double("1.5", v) && v == 1.5));
  CHECK((parse_double(" -2e3 ", v) && v == -2000));
  CHECK((parse_double("+7", v) && v == 7));
  CHECK((parse_double("inf", v) && std::isinf(v)));
  CHECK_FALSE(parse_double("", v));
  CHECK_FALSE(parse_double("1.5x", v));
  CHECK_FALSE(parse_double("nan", v));
  CHECK_FALSE(parse_double("True", v));
  CHECK_FALSE(parse_double("1e999", v));
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(2411.5) == "2411.5");
  CHECK(format_double(1.0 / 3.0) == "0.3333333333333333");
  CHECK(format_double(std::nan("")) == "");
  const double x = 0.1 + 0.2;
  double y = 0;
  REQUIRE(parse_double(format_double(x), y));
  CHECK(y == x);
}

TEST_CASE("dataset CSV import: defaults, types, booleans, missing values", "[dataset]") {
  const auto d = read_dataset_csv(fixture("small.csv"));
  CHECK(d.rows() == 7);
  CHECK(d.composition_column == "formula");
  CHECK(d.id_column.empty());
  CHECK(d.ids.front() == "1");
  CHECK(d.ids.back() == "7");
  // 'phase' is text, so it is not a default target.
  REQUIRE(d.targets.size() == 3);
  CHECK(d.targets[0].name == "hardness");
  CHECK(d.targets[0].type == ColumnType::Continuous);
  CHECK(std::isnan(d.targets[0].values[2]));
  CHECK(d.targets[0].values[4] == 5.25);
  CHECK(d.targets[1].type == ColumnType::Boolean);
  CHECK(d.targets[1].values == std::vector<double>{1, 0, 1, 1, 0, 1, 0});
  CHECK(d.targets[2].type == ColumnType::Integer);
  // CuSO4.5H2O: Cu1 S1 O9 H10.
  CHECK(d.compositions[2].fraction(element_z("H")) == Approx(10.0 / 21).epsilon(1e-14));
  CHECK(d.formulas[2] == "CuSO4.5H2O");
  CHECK(d.elements() == std::vector<int>{1, 8, 12, 13, 16, 20, 26, 28, 29});
  const Eigen::VectorXd t = d.target_vector("T");
  CHECK(t.size() == 7);
  CHECK(t(6) == 800);
  CHECK_THAT(message_of([&] { (void)d.target("nope"); }), Catch::Contains("'hardness'"));

  CsvImportOptions o;
  o.targets = {"hardness"};
  o.process = {"phase", "T"};
  const auto e = read_dataset_csv(fixture("small.csv"), o);
  REQUIRE(e.targets.size() == 1);
  REQUIRE(e.process.size() == 2);
  CHECK(e.process[0].type == ColumnType::Categorical);
  CHECK(e.process[0].categories == std::vector<std::string>{"alpha", "beta", "gamma"});
  CHECK(e.process[0].values == std::vector<double>{0, 1, 0, 2, 1, 1, 0});
  CHECK(e.process[0].text(3) == "gamma");
  CHECK(e.process_column("T").type == ColumnType::Integer);

  const auto sub = e.subset(std::vector<std::size_t>{5, 0});
  CHECK(sub.ids == std::vector<std::string>{"6", "1"});
  CHECK(sub.targets[0].values == std::vector<double>{7, 1.5});
  CHECK(sub.formulas[0] == "MgO");
}

TEST_CASE("dataset CSV import: explicit columns, ids, quirks file", "[dataset]") {
  CsvImportOptions o;
  o.composition = "name, with comma";
  o.id = "id";
  o.targets = {"yield strength", "ok"};
  const auto d = read_dataset_csv(fixture("quirks.csv"), o);
  CHECK(d.ids == std::vector<std::string>{"A1", "A2", "A3"});
  CHECK(d.id_column == "id");
  CHECK(d.target("yield strength").values[2] == -300);
  CHECK(std::isnan(d.target("yield strength").values[1]));
  CHECK(d.target("ok").type == ColumnType::Boolean);
  CHECK(std::isnan(d.target("ok").values[2]));
  CHECK(d.compositions[1].fraction(26) == Approx(0.7).epsilon(1e-15));

  CsvImportOptions none;
  none.no_composition = true;
  const auto n = read_dataset_csv(fixture("small.csv"), none);
  CHECK_FALSE(n.has_composition());
  CHECK(n.compositions.empty());
  // The formula column is text, so it is not a target either.
  CHECK(n.targets.size() == 3);
}

TEST_CASE("dataset CSV import errors name file, row, column and text", "[dataset]") {
  const std::string bad = message_of([] { read_dataset_csv(fixture("bad_row7.csv")); });
  CHECK_THAT(bad, Catch::Contains("bad_row7.csv: row 7, column 'formula'") && Catch::Contains("'Qx'") &&
                      Catch::Contains("unknown element symbol"));
  CHECK_THROWS_AS(read_dataset_csv(fixture("bad_row7.csv")), DataError);

  TempDir dir;
  write_text(dir / "b.csv", "formula,flag\nFe,True\nNi,maybe\nCo,false\n");
  CsvImportOptions o;
  o.targets = {"flag"};
  CHECK_THAT(message_of([&] { read_dataset_csv(dir / "b.csv", o); }),
             Catch::Contains("row 3, column 'flag'") && Catch::Contains("expected a boolean") && Catch::Contains("'maybe'"));
  write_text(dir / "n.csv", "formula,y\nFe,1\nNi,2\nCo,abc\n");
  o.targets = {"y"};
  CHECK_THAT(message_of([&] { read_dataset_csv(dir / "n.csv", o); }),
             Catch::Contains("row 4, column 'y'") && Catch::Contains("expected a number") && Catch::Contains("'abc'"));
  o.targets = {"missing"};
  CHECK_THAT(message_of([&] { read_dataset_csv(dir / "n.csv", o); }), Catch::Contains("no column named 'missing'"));
  write_text(dir / "d.csv", "formula,y,y\nFe,1,2\n");
  CHECK_THROWS_AS(read_dataset_csv(dir / "d.csv"), DataError);
  write_text(dir / "i.csv", "id,formula,y\na,Fe,1\na,Ni,2\n");
  CsvImportOptions oi;
  oi.id = "id";
  oi.composition = "formula";
  CHECK_THAT(message_of([&] { read_dataset_csv(dir / "i.csv", oi); }), Catch::Contains("row 3") && Catch::Contains("duplicate row id"));
}

TEST_CASE("dataset CSV -> H5 -> CSV round trip", "[dataset]") {
  TempDir dir;
  CsvImportOptions o;
  o.targets = {"hardness", "is_metal"};
  o.process = {"phase", "T"};
  const auto d = read_dataset_csv(fixture("small.csv"), o);
  write_dataset_h5(d, dir / "d.h5");
  const auto h = read_dataset_h5(dir / "d.h5");
  CHECK(h.ids == d.ids);
  CHECK(h.composition_column == d.composition_column);
  CHECK(h.formulas == d.formulas);
  REQUIRE(h.compositions.size() == d.compositions.size());
  for (std::size_t i = 0; i < d.rows(); ++i) CHECK(h.compositions[i].almost_equal(d.compositions[i], 1e-15));
  REQUIRE(h.targets.size() == 2);
  REQUIRE(h.process.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(h.targets[k].name == d.targets[k].name);
    CHECK(h.targets[k].type == d.targets[k].type);
    CHECK(h.process[k].type == d.process[k].type);
    CHECK(h.process[k].categories == d.process[k].categories);
    for (std::size_t i = 0; i < d.rows(); ++i) {
      CHECK(h.targets[k].text(i) == d.targets[k].text(i));
      CHECK(h.process[k].text(i) == d.process[k].text(i));
    }
  }
  write_dataset_csv(h, dir / "back.csv");
  CHECK(read_text(dir / "back.csv") ==
        "formula,phase,T,hardness,is_metal\n"
        "Fe2O3,alpha,300,1.5,True\nNiO,beta,400,2.5,False\nCuSO4.5H2O,alpha,500,,True\n"
        "Fe0.7Ni0.3,gamma,600,4,True\nAl2O3,beta,700,5.25,False\nMgO,beta,900,7,True\nCa(OH)2,alpha,800,6,False\n");
  const auto again = read_dataset_csv(dir / "back.csv", o);
  CHECK(again.targets[0].values.size() == 7);
  CHECK(again.process[0].categories == d.process[0].categories);

  // Column names with '/' and ids survive too.
  Dataset w;
  w.ids = {"x", "y"};
  w.id_column = "sample";
  w.targets.push_back({"rate (mol/s)", ColumnType::Continuous, {0.5, std::nan("")}, {}});
  write_dataset_h5(w, dir / "w.h5");
  const auto wb = read_dataset(dir / "w.h5");
  CHECK(wb.id_column == "sample");
  CHECK(wb.ids == w.ids);
  CHECK(wb.targets[0].name == "rate (mol/s)");
  CHECK(std::isnan(wb.targets[0].values[1]));
  CHECK_FALSE(wb.has_composition());
}

TEST_CASE("matbench steels import: 312 rows, 14 elements, target 'yield strength'", "[dataset]") {
  const auto d = read_dataset(fs::path(MATOPT_TEST_DATA_DIR) / "matbench" / "matbench_steels.csv");
  CHECK(d.rows() == 312);
  REQUIRE(d.targets.size() == 1);
  CHECK(d.targets[0].name == "yield strength");
  CHECK(d.elements().size() == 14);
  CHECK(d.targets[0].values[0] == 2411.5);
  const auto m = read_dataset(fs::path(MATOPT_TEST_DATA_DIR) / "matbench" / "matbench_expt_is_metal.csv");
  CHECK(m.rows() == 4921);
  CHECK(m.targets[0].type == ColumnType::Boolean);
}

TEST_CASE("validate rejects inconsistent datasets", "[dataset]") {
  Dataset d;
  d.ids = {"1", "2"};
  d.targets.push_back({"y", ColumnType::Continuous, {1.0}, {}});
  CHECK_THAT(message_of([&] { d.validate(); }), Catch::Contains("column 'y'") && Catch::Contains("1 values for 2 rows"));
  d.targets[0] = {"y", ColumnType::Boolean, {1.0, 2.0}, {}};
  CHECK_THAT(message_of([&] { d.validate(); }), Catch::Contains("row 3, column 'y'") && Catch::Contains("boolean"));
  d.targets[0] = {"y", ColumnType::Categorical, {0.0, 1.0}, {"a"}};
  CHECK_THROWS_AS(d.validate(), DataError);
  d.targets[0].categories.push_back("b");
  CHECK_NOTHROW(d.validate());
  CHECK(column_type_from_string("integer") == ColumnType::Integer);
  CHECK_THAT(message_of([] { column_type_from_string("real"); }), Catch::Contains("continuous, integer"));
}

TEST_CASE("archive round trip of every data kind and attribute", "[archive]") {
  TempDir dir;
  Archive a;
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, std::nan("");
  a.set("m", m);
  a.set("v", Eigen::VectorXd(Eigen::VectorXd::LinSpaced(4, 0.0, 1.5)));
  a.set("s", std::vector<std::string>{"alpha", "", "yield strength", "\u00b7 UTF-8 \u00c5"});
  a.set("b", std::vector<std::uint8_t>{0, 1, 255});
  a.set("i", std::vector<std::int64_t>{-5, 0, INT64_MAX});
  a.set("empty", Eigen::VectorXd());
  a.set_data_attr("m", "labels", {"c1", "c2", "c3"});
  a.set_attr("n", std::int64_t{-42});
  a.set_attr("x", 0.1);
  a.set_attr("name", std::string("h\u00e9llo"));
  Archive& deep = a.child("g1/g2");
  deep.set("z", Eigen::MatrixXd(Eigen::MatrixXd::Identity(1, 1)));
  deep.set_attr("depth", std::int64_t{2});
  save_archive(a, dir / "a.h5", "test-format", 3);
  CHECK(dir.entries() == 1);
  const Archive b = load_archive(dir / "a.h5", "test-format", 3);
  CHECK(b.attr_string("format") == "test-format");
  CHECK(b.attr_int("version") == 3);
  const auto& bm = b.matrix("m");
  REQUIRE(bm.rows() == 2);
  REQUIRE(bm.cols() == 3);
  CHECK(bm(0, 2) == 3);
  CHECK(bm(1, 0) == 4);
  CHECK(std::isnan(bm(1, 2)));
  CHECK(b.vector("v") == Eigen::VectorXd::LinSpaced(4, 0.0, 1.5));
  CHECK(b.strings("s") == a.strings("s"));
  CHECK(b.bytes("b") == a.bytes("b"));
  CHECK(b.integers("i") == a.integers("i"));
  CHECK(b.vector("empty").size() == 0);
  REQUIRE(b.data_attr("m", "labels"));
  CHECK(*b.data_attr("m", "labels") == std::vector<std::string>{"c1", "c2", "c3"});
  CHECK(b.data_attr("m", "nope") == nullptr);
  CHECK(b.attr_int("n") == -42);
  CHECK(b.attr_double("x") == 0.1);
  CHECK(b.attr_string("name") == "h\u00e9llo");
  CHECK(b.has_child("g1/g2"));
  CHECK(b.child("g1/g2").matrix("z")(0, 0) == 1.0);
  CHECK(b.child("g1").child("g2").attr_int("depth") == 2);
  CHECK(b.child_names() == std::vector<std::string>{"g1"});
  CHECK(b.data_names() == std::vector<std::string>{"b", "empty", "i", "m", "s", "v"});

  CHECK_THROWS_AS(b.matrix("v"), IOError);
  CHECK_THROWS_AS(b.get("missing"), IOError);
  CHECK_THROWS_AS(b.child("g9"), IOError);
  CHECK_THROWS_AS(b.attr_int("x"), IOError);
  CHECK_THROWS_AS(a.set("bad/name", Eigen::VectorXd()), InvalidArgument);

  // Large arrays are stored chunked + compressed; the values come back exactly.
  Archive big;
  Eigen::MatrixXd bm2(300, 30);
  for (Eigen::Index i = 0; i < bm2.rows(); ++i)
    for (Eigen::Index j = 0; j < bm2.cols(); ++j) bm2(i, j) = (i * 31 + j) % 7 == 0 ? 0.1 * static_cast<double>(i - j) : 0.0;
  big.set("m", bm2);
  big.set("i", std::vector<std::int64_t>(5000, -3));
  save_archive(big, dir / "big.h5", "test-format", 1);
  const Archive big2 = load_archive(dir / "big.h5", "test-format", 1);
  CHECK(big2.matrix("m") == bm2);
  CHECK(big2.integers("i") == big.integers("i"));
  CHECK(fs::file_size(dir / "big.h5") < 300 * 30 * 8 / 2);

  // Copies are deep.
  Archive c = b;
  c.child("g1/g2").set_attr("depth", std::int64_t{7});
  CHECK(b.child("g1/g2").attr_int("depth") == 2);
}

TEST_CASE("load_archive refuses missing, foreign, corrupt and newer files with IOError", "[archive]") {
  TempDir dir;
  Archive a;
  a.set("v", Eigen::VectorXd(Eigen::VectorXd::Ones(1000)));
  save_archive(a, dir / "ok.h5", "fmt", 2);
  CHECK_NOTHROW(load_archive(dir / "ok.h5", "fmt", 2));

  CHECK_THAT(message_of([&] { load_archive(dir / "none.h5", "fmt", 2); }), Catch::Contains("none.h5") && Catch::Contains("no such file"));
  CHECK_THAT(message_of([&] { load_archive(dir / "ok.h5", "other", 2); }),
             Catch::Contains("ok.h5") && Catch::Contains("is a 'fmt' file, expected 'other'"));
  CHECK_THAT(message_of([&] { load_archive(dir / "ok.h5", "fmt", 1); }),
             Catch::Contains("version 2 is newer") && Catch::Contains("upgrade"));
  CHECK_THROWS_AS(load_archive(dir / "ok.h5", "fmt", 1), IOError);

  write_text(dir / "text.h5", "formula,y\nFe,1\n");
  CHECK_THAT(message_of([&] { load_archive(dir / "text.h5", "fmt", 2); }), Catch::Contains("text.h5") && Catch::Contains("not an HDF5 file"));
  CHECK_THROWS_AS(load_archive(dir / "text.h5", "fmt", 2), IOError);

  // Truncated copies of a valid file: must fail with IOError, never crash.
  const std::string full = read_text(dir / "ok.h5");
  for (std::size_t keep : {std::size_t{8}, std::size_t{100}, std::size_t{800}, full.size() / 2, full.size() - 10}) {
    write_text(dir / "cut.h5", full.substr(0, keep));
    INFO("kept " << keep << " of " << full.size() << " bytes");
    CHECK_THROWS_AS(load_archive(dir / "cut.h5", "fmt", 2), IOError);
  }
  // A plain HDF5 file without matopt attributes (as another tool would write).
  Archive plain;
  plain.set("x", Eigen::VectorXd(Eigen::VectorXd::Zero(2)));
  save_archive(plain, dir / "p.h5", "fmt", 1);
  CHECK_THROWS_AS(read_dataset_h5(dir / "p.h5"), IOError);
  CHECK_THAT(message_of([&] { read_dataset_h5(dir / "p.h5"); }), Catch::Contains("is a 'fmt' file, expected 'matopt-dataset'"));
  CHECK_THROWS_AS(read_dataset_h5(dir / "text.h5"), IOError);
}

TEST_CASE("AtomicFile commits by rename and leaves nothing behind on failure", "[atomic]") {
  TempDir dir;
  const auto target = dir / "out.txt";
  write_text(target, "old");
  {
    AtomicFile f(target);
    CHECK(f.temp_path().parent_path() == target.parent_path());
    CHECK(f.temp_path() != target);
    write_text(f.temp_path(), "half");
    // destroyed without commit(): as if an exception had been thrown mid-write
  }
  CHECK(read_text(target) == "old");
  CHECK(dir.entries() == 1);
  {
    AtomicFile f(target);
    write_text(f.temp_path(), "new");
    f.commit();
    CHECK_THROWS_AS(f.commit(), IOError);
  }
  CHECK(read_text(target) == "new");
  CHECK(dir.entries() == 1);
  {
    AtomicFile f(dir / "never.txt");
    CHECK_THROWS_AS(f.commit(), IOError);  // nothing was written
  }
  CHECK(dir.entries() == 1);
  // An HDF5 save into a missing folder fails cleanly.
  CHECK_THROWS_AS(save_archive(Archive{}, dir / "no_such_dir" / "x.h5", "fmt", 1), IOError);
  // A failing dataset write leaves no file: invalid dataset is refused before anything is written.
  Dataset bad;
  bad.ids = {"1"};
  bad.targets.push_back({"y", ColumnType::Continuous, {}, {}});
  CHECK_THROWS_AS(write_dataset_h5(bad, dir / "bad.h5"), DataError);
  CHECK_THROWS_AS(write_dataset_csv(bad, dir / "bad.csv"), DataError);
  CHECK(dir.entries() == 1);
}

TEST_CASE("CRC-32 matches zlib's check value and composes across calls", "[archive][integrity]") {
  const std::string text = "123456789";
  CHECK(matopt::detail::crc32_update(0, text.data(), text.size()) == 0xCBF43926u);
  CHECK(matopt::detail::crc32_update(0, nullptr, 0) == 0u);
  std::string long_text;
  for (int i = 0; i < 1000; ++i) long_text += static_cast<char>(i * 7 + 3);
  const std::uint32_t whole = matopt::detail::crc32_update(0, long_text.data(), long_text.size());
  for (std::size_t cut : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{501}}) {
    const std::uint32_t head = matopt::detail::crc32_update(0, long_text.data(), cut);
    CHECK(matopt::detail::crc32_update(head, long_text.data() + cut, long_text.size() - cut) == whole);
  }
}

namespace {

/// Replaces the 8 bytes of `from` (as stored in the file, little-endian double) with those of `to`.
std::string replace_double(std::string bytes, double from, double to) {
  std::string a(8, '\0'), b(8, '\0');
  std::memcpy(a.data(), &from, 8);
  std::memcpy(b.data(), &to, 8);
  const auto at = bytes.find(a);
  REQUIRE(at != std::string::npos);
  REQUIRE(bytes.find(a, at + 1) == std::string::npos);
  return bytes.replace(at, 8, b);
}

struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("save_archive stamps a checksum header; load_archive refuses changed files", "[archive][integrity]") {
  TempDir dir;
  Archive a;
  a.set("v", Eigen::VectorXd(Eigen::VectorXd::LinSpaced(50, 1.0, 50.0)));
  a.child("g").set("marker", Eigen::VectorXd(Eigen::VectorXd::Constant(1, 1234.5678)));
  save_archive(a, dir / "ok.h5", "fmt", 1);
  const std::string bytes = read_text(dir / "ok.h5");
  REQUIRE(bytes.size() > 512);
  CHECK(bytes.rfind("MATOPT-ARCHIVE 1\npayload-bytes " + std::to_string(bytes.size() - 512) + "\ncrc32 ", 0) == 0);
  CHECK(bytes.substr(0, 512).find('\0') != std::string::npos);  // the header is padded to the user block
  CHECK(load_archive(dir / "ok.h5", "fmt", 1).child("g").vector("marker")(0) == 1234.5678);

  // One changed measurement value: readable by libhdf5, but no longer what matopt wrote.
  write_text(dir / "edited.h5", replace_double(bytes, 1234.5678, 8765.4321));
  const std::string msg = message_of([&] { load_archive(dir / "edited.h5", "fmt", 1); });
  CHECK_THAT(msg, Catch::Contains("edited.h5") && Catch::Contains("is damaged") && Catch::Contains("its CRC-32 is") &&
                      Catch::Contains("MATOPT_IGNORE_CHECKSUM=1"));
  CHECK_THROWS_AS(load_archive(dir / "edited.h5", "fmt", 1), IOError);
  {
    ScopedEnv ignore("MATOPT_IGNORE_CHECKSUM", "1");
    CHECK(load_archive(dir / "edited.h5", "fmt", 1).child("g").vector("marker")(0) == 8765.4321);
  }

  write_text(dir / "appended.h5", bytes + "x");
  CHECK_THAT(message_of([&] { load_archive(dir / "appended.h5", "fmt", 1); }), Catch::Contains("truncated or appended to"));
  std::string bad_header = bytes;
  bad_header.replace(bad_header.find("crc32 "), 6, "crc33 ");
  write_text(dir / "header.h5", bad_header);
  CHECK_THAT(message_of([&] { load_archive(dir / "header.h5", "fmt", 1); }), Catch::Contains("checksum header is damaged"));
  write_text(dir / "short.h5", bytes.substr(0, 100));
  CHECK_THAT(message_of([&] { load_archive(dir / "short.h5", "fmt", 1); }), Catch::Contains("shorter than its own 512-byte header"));
}

TEST_CASE("files without a checksum header are parsed in a child process first", "[archive][integrity]") {
  TempDir dir;
  Archive a;
  a.set("v", Eigen::VectorXd(Eigen::VectorXd::LinSpaced(7, -3.0, 3.0)));
  a.child("g").set_attr("name", std::string("x"));
  save_archive(a, dir / "ok.h5", "fmt", 1);
  // Without the header (as another program or an older matopt writes) the content is still read whole.
  const std::string legacy = std::string(512, '\0') + read_text(dir / "ok.h5").substr(512);
  write_text(dir / "legacy.h5", legacy);
  const Archive back = load_archive(dir / "legacy.h5", "fmt", 1);
  CHECK(back.vector("v") == a.vector("v"));
  CHECK(back.child("g").attr_string("name") == "x");
  // Errors found in the child keep their type and message.
  CHECK_THAT(message_of([&] { load_archive(dir / "legacy.h5", "other", 1); }),
             Catch::Contains("legacy.h5") && Catch::Contains("is a 'fmt' file, expected 'other'"));
  CHECK_THROWS_AS(load_archive(dir / "legacy.h5", "other", 1), IOError);
  CHECK(read_text(dir / "legacy.h5") == legacy);  // reading never rewrites the file
}
