// SPDX-License-Identifier: MIT
// Oracles of a design space: the "oracles" JSON field, the CSV protocol, the cache and every failure
// (timeout, crash, bad output, a command that does not exist).
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/oracle.hpp"

using namespace matopt;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("matopt-oracle-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
  std::string read(const std::string& name) const {
    std::ifstream in(path / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

// Sum of Co and Ni fractions times 10 as "s", and the process temperature as "t"; appends the number of
// candidates it was given to calls.txt, so a test can count calls and points.
const char* kScript = R"(import csv, sys
rows = list(csv.DictReader(sys.stdin))
with open("calls.txt", "a") as f:
    f.write(str(len(rows)) + "\n")
print("row,s,t")
for r in rows:
    print(r["row"] + "," + repr(10 * (float(r["Co"]) + float(r["Ni"]))) + "," + r["T"])
)";

std::string space_json(const std::string& oracle, const std::string& outputs_use = R"(, "output_constraints": [{"name": "s", "max": 7}])") {
  return R"({"composition": {"elements": ["Co", "Cr", "Ni"]},
  "process": [{"name": "T", "type": "continuous", "bounds": [300, 900]}],
  "objectives": [{"name": "hardness"}])" + outputs_use + R"(,
  "oracles": [)" + oracle + "]}";
}

const char* kOracle = R"({"name": "calc", "command": ["/usr/bin/python3", "oracle.py"], "outputs": ["s", "t"], "batch": 2, "model_input": true})";

Eigen::MatrixXd three_points() {
  Eigen::MatrixXd p(3, 4);
  p << 0.25, 0.5, 0.25, 300,  //
      0.5, 0.5, 0.0, 450,     //
      0.0, 0.2, 0.8, 900.5;
  return p;
}

}  // namespace

TEST_CASE("oracle: spec parses, validates and round-trips", "[oracle]") {
  TempDir dir;
  const DesignSpace s = DesignSpace::from_json_text(space_json(kOracle), dir.path);
  REQUIRE(s.oracles().size() == 1);
  const auto& o = s.oracles()[0];
  CHECK(o.name == "calc");
  CHECK(o.command == std::vector<std::string>{"/usr/bin/python3", "oracle.py"});
  CHECK(o.outputs == std::vector<std::string>{"s", "t"});
  CHECK(o.batch == 2);
  CHECK(o.timeout_s == 60);
  CHECK(o.model_input);
  CHECK(o.working_dir == fs::absolute(dir.path).lexically_normal());
  CHECK(s.oracle_source("s").oracle == 0);
  CHECK(s.oracle_source("t").column == 1);
  CHECK(s.oracle_source("hardness").oracle == -1);
  CHECK(s.oracle_model_inputs().size() == 2);
  const DesignSpace back = DesignSpace::from_json_text(s.to_json_text());
  CHECK(back.to_json_text() == s.to_json_text());
  CHECK(back.oracles()[0].working_dir == o.working_dir);

  auto err = [&](const std::string& oracle, const std::string& use = R"(, "output_constraints": [{"name": "s", "max": 7}])") {
    try {
      (void)DesignSpace::from_json_text(space_json(oracle, use), dir.path);
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err(R"({"name": "a", "command": "python3 x.py", "outputs": ["s"]})") ==
        "design space: oracles[0].command: expected a non-empty list of program and arguments (no shell string), got \"python3 x.py\"");
  CHECK(err(R"({"name": "a", "command": ["x", 3], "outputs": ["s"]})") ==
        "design space: oracles[0].command[1]: expected a string, got number 3");
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s"], "timeout_s": 0})") ==
        "design space: oracles[0].timeout_s: expected a finite number of seconds > 0");
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s"], "batch": 0})") ==
        "design space: oracles[0].batch: expected at least 1, got 0");
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s"]}, {"name": "a", "command": ["y"], "outputs": ["u"], "model_input": true})") ==
        "design space: oracles[1].name: oracle 'a' declared twice");
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s"]}, {"name": "b", "command": ["y"], "outputs": ["s"]})") ==
        "design space: oracles[1].outputs[0]: output 's' is computed by two oracles (or listed twice)");
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s", "unused"]})").find(
            "design space: oracles[0].outputs[1]: output 'unused' of oracle 'a' is neither an objective, an output constraint nor a model input") == 0);
  CHECK(err(R"({"name": "a", "command": ["x"], "outputs": ["s"], "shell": true})").find("design space: oracles[0].shell: unknown field") == 0);
  CHECK(err(R"({"name": "a/b", "command": ["x"], "outputs": ["s"]})").find("design space: oracles[0].name: 'a/b': expected letters") == 0);
}

TEST_CASE("oracle: protocol input is row, formula, coordinates", "[oracle]") {
  TempDir dir;
  const DesignSpace s = DesignSpace::from_json_text(space_json(kOracle), dir.path);
  CHECK(oracle_input_csv(s, three_points()) ==
        "row,formula,Co,Cr,Ni,T\n"
        "1,Cr0.5Co0.25Ni0.25,0.25,0.5,0.25,300\n"
        "2,Cr0.5Co0.5,0.5,0.5,0,450\n"
        "3,Cr0.2Ni0.8,0,0.2,0.8,900.5\n");
}

TEST_CASE("oracle: values come back in batches and cached points are never sent again", "[oracle]") {
  TempDir dir;
  dir.write("oracle.py", kScript);
  const DesignSpace s = DesignSpace::from_json_text(space_json(kOracle), dir.path);
  OracleCache cache;
  OracleRunStats st;
  const Eigen::MatrixXd v = evaluate_oracles(s, three_points(), cache, &st);
  REQUIRE(v.rows() == 3);
  REQUIRE(v.cols() == 2);
  CHECK(v(0, 0) == 10 * (0.25 + 0.25));
  CHECK(v(1, 0) == 10 * 0.5);
  CHECK(v(2, 0) == 10 * 0.8);
  CHECK(v(2, 1) == 900.5);
  CHECK(st.calls == 2);  // batch 2: 2 + 1 candidates
  CHECK(st.computed == 3);
  CHECK(dir.read("calls.txt") == "2\n1\n");
  CHECK(cache.size("calc") == 3);

  // Same points plus one new one: only the new point is sent.
  Eigen::MatrixXd more(4, 4);
  more.topRows(3) = three_points();
  more.row(3) << 0.1, 0.1, 0.8, 500;
  const Eigen::MatrixXd w = evaluate_oracles(s, more, cache, &st);
  CHECK(st.cached == 3);
  CHECK(st.computed == 1);
  CHECK(w.topRows(3) == v);
  CHECK(w(3, 0) == Approx(9.0).epsilon(1e-15));
  CHECK(dir.read("calls.txt") == "2\n1\n1\n");
  (void)evaluate_oracles(s, more, cache, &st);
  CHECK(st.calls == 0);
  CHECK(dir.read("calls.txt") == "2\n1\n1\n");

  // The table form (what the campaign file stores) restores the same cache.
  Eigen::MatrixXd pts, vals;
  cache.table("calc", pts, vals);
  CHECK(pts.rows() == 4);
  OracleCache restored;
  restored.set_table("calc", pts, vals);
  (void)evaluate_oracles(s, more, restored, &st);
  CHECK(st.calls == 0);
}

namespace {

std::string failure_of(const std::string& script, const std::string& extra = "", const std::string& command = "") {
  TempDir dir;
  dir.write("oracle.sh", script);
  const std::string cmd = command.empty() ? R"(["/bin/sh", "oracle.sh"])" : command;
  const DesignSpace s = DesignSpace::from_json_text(
      space_json(R"({"name": "calc", "command": )" + cmd + R"(, "outputs": ["s"])" + extra + "}"), dir.path);
  OracleCache cache;
  try {
    (void)evaluate_oracles(s, three_points(), cache);
  } catch (const OracleError& e) {
    CHECK(cache.size("calc") == 0);
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("oracle: timeout kills it and names the oracle", "[oracle]") {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = failure_of("echo thinking >&2\nsleep 30\n", R"(, "timeout_s": 0.5)");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(e == "oracle 'calc' (/bin/sh oracle.sh) timed out after 0.5 s (killed) on a batch of 3 candidates "
             "(row 1: 'Cr0.5Co0.25Ni0.25'); last lines of its stderr:\nthinking");
  CHECK(secs < 20);  // not the 30 s of the sleep (a loose bound: no timing assertion beyond "it was killed")
}

TEST_CASE("oracle: crash and non-zero exit name the oracle and quote stderr", "[oracle]") {
  CHECK(failure_of("cat >/dev/null\necho 'Traceback: boom' >&2\nexit 3\n") ==
        "oracle 'calc' (/bin/sh oracle.sh) exited with status 3 on a batch of 3 candidates (row 1: 'Cr0.5Co0.25Ni0.25'); "
        "last lines of its stderr:\nTraceback: boom");
  CHECK(failure_of("kill -9 $$\n").find("oracle 'calc' (/bin/sh oracle.sh) was killed by signal 9") == 0);
}

TEST_CASE("oracle: malformed output names the row, candidate and column", "[oracle]") {
  CHECK(failure_of("cat >/dev/null\nprintf 's\\n1\\n2\\nabc\\n'\n") ==
        "oracle 'calc': output row 3 (candidate 'Cr0.2Ni0.8'), column 's': 'abc' is not a number");
  CHECK(failure_of("cat >/dev/null\nprintf 's\\n1\\n2\\n'\n") ==
        "oracle 'calc': expected 3 output rows (one per candidate, in order), got 2; first candidate without a row: row 3 ('Cr0.2Ni0.8')");
  CHECK(failure_of("cat >/dev/null\nprintf 'x\\n1\\n2\\n3\\n'\n") ==
        "oracle 'calc': output header has no column 's' (header: x)");
  CHECK(failure_of("cat >/dev/null\nprintf 'row,s\\n1,1\\n3,2\\n2,3\\n'\n") ==
        "oracle 'calc': output row 2 (candidate 'Cr0.5Co0.5'), column 'row': '3' does not match the input row 2 (rows must come back in order)");
  CHECK(failure_of("cat >/dev/null\nprintf 's\\n1\\ninf\\n2\\n'\n") ==
        "oracle 'calc': output row 2 (candidate 'Cr0.5Co0.5'), column 's': 'inf' is not finite (write nan for no value)");
  CHECK(failure_of("cat >/dev/null\n") == "oracle 'calc': wrote no output (expected a CSV header naming its outputs: s)");
}

TEST_CASE("oracle: nan is accepted as no value", "[oracle]") {
  TempDir dir;
  dir.write("oracle.sh", "cat >/dev/null\nprintf 's\\n1\\nnan\\n2.5\\n'\n");
  const DesignSpace s = DesignSpace::from_json_text(
      space_json(R"({"name": "calc", "command": ["/bin/sh", "oracle.sh"], "outputs": ["s"]})"), dir.path);
  OracleCache cache;
  const Eigen::MatrixXd v = evaluate_oracles(s, three_points(), cache);
  CHECK(v(0, 0) == 1.0);
  CHECK(std::isnan(v(1, 0)));
  CHECK(v(2, 0) == 2.5);
}

TEST_CASE("oracle: a command that does not exist is a clear error", "[oracle]") {
  CHECK(failure_of("", "", R"(["matopt-no-such-oracle-xyz", "a.py"])")
            .find("oracle 'calc' (matopt-no-such-oracle-xyz a.py) could not be started: No such file or directory on a batch of 3 candidates (row 1: 'Cr0.5Co0.25Ni0.25'); working directory ") == 0);
}
