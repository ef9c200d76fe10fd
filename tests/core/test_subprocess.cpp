// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "matopt/core/cancel.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/subprocess.hpp"

using namespace matopt;

TEST_CASE("subprocess: stdin reaches the program, stdout and stderr come back", "[subprocess]") {
  SubprocessOptions o;
  o.stdin_text = "a,b\n1,2\n";
  const auto r = run_subprocess({"/bin/sh", "-c", "cat; echo oops >&2"}, o);
  CHECK(r.ok());
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_text == "a,b\n1,2\n");
  CHECK(r.stderr_text == "oops\n");
}

TEST_CASE("subprocess: large stdout and stderr at once do not deadlock", "[subprocess]") {
  SubprocessOptions o;
  o.stdin_text = std::string(300000, 'x');  // more than a pipe buffer each way
  o.timeout_s = 30;
  const auto r = run_subprocess({"/bin/sh", "-c", "cat; head -c 200000 /dev/zero >&2"}, o);
  REQUIRE(r.ok());
  CHECK(r.stdout_text.size() == 300000);
  CHECK(r.stderr_text.size() == 200000);
}

TEST_CASE("subprocess: exit status and signal are reported", "[subprocess]") {
  const auto r = run_subprocess({"/bin/sh", "-c", "echo bad >&2; exit 3"}, {});
  CHECK(r.started);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_code == 3);
  CHECK(r.describe(1) == "exited with status 3");
  const auto k = run_subprocess({"/bin/sh", "-c", "kill -9 $$"}, {});
  CHECK(k.signal == SIGKILL);
  CHECK(k.exit_code == -1);
  CHECK(k.describe(1).rfind("was killed by signal 9", 0) == 0);
}

TEST_CASE("subprocess: a missing program is a spawn error, not exit 127", "[subprocess]") {
  const auto r = run_subprocess({"matopt-no-such-program-xyz"}, {});
  CHECK_FALSE(r.started);
  CHECK(r.spawn_error == "No such file or directory");
  CHECK(r.describe(1) == "could not be started: No such file or directory");
  const auto e = run_subprocess({"/bin/sh", "-c", "exit 127"}, {});
  CHECK(e.started);
  CHECK(e.exit_code == 127);
  CHECK_THROWS_AS(run_subprocess({}, {}), InvalidArgument);
}

TEST_CASE("subprocess: working directory is used; a missing one is reported", "[subprocess]") {
  SubprocessOptions o;
  o.working_dir = "/";
  CHECK(run_subprocess({"pwd"}, o).stdout_text == "/\n");
  o.working_dir = "/nonexistent-matopt-dir";
  const auto r = run_subprocess({"pwd"}, o);
  CHECK_FALSE(r.started);
  CHECK(r.spawn_error.find("cannot enter working directory '/nonexistent-matopt-dir'") == 0);
}

TEST_CASE("subprocess: timeout kills the whole process group", "[subprocess]") {
  SubprocessOptions o;
  o.timeout_s = 0.3;
  // The grandchild (a background sleep) holds stdout open; it must die with the group.
  const auto r = run_subprocess({"/bin/sh", "-c", "sleep 30 & echo started; wait"}, o);
  CHECK(r.started);
  CHECK(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK(r.stdout_text == "started\n");
  CHECK(r.describe(0.3) == "timed out after 0.3 s (killed)");
  // A program that closes its output but keeps running also times out.
  const auto c = run_subprocess({"/bin/sh", "-c", "exec >&- 2>&-; sleep 30"}, o);
  CHECK(c.timed_out);
}

TEST_CASE("subprocess: a program that ignores its stdin does not kill the caller", "[subprocess]") {
  SubprocessOptions o;
  o.stdin_text = std::string(1 << 20, 'y');
  const auto r = run_subprocess({"/bin/sh", "-c", "exit 0"}, o);
  CHECK(r.ok());
}

TEST_CASE("subprocess: last_lines", "[subprocess]") {
  CHECK(last_lines("a\nb\nc\n", 2) == "b\nc");
  CHECK(last_lines("a\nb\nc", 5) == "a\nb\nc");
  CHECK(last_lines("", 3).empty());
  CHECK(last_lines("one\n", 1) == "one");
}

TEST_CASE("subprocess: a cancellation request kills the program and throws Cancelled", "[subprocess]") {
  struct Clear {
    ~Clear() { clear_cancel(); }
  } guard;
  request_cancel();
  SubprocessOptions o;
  o.timeout_s = 30;
  CHECK_THROWS_AS(run_subprocess({"/bin/sh", "-c", "sleep 30"}, o), Cancelled);
  clear_cancel();
  CHECK(run_subprocess({"/bin/sh", "-c", "exit 0"}, o).ok());
}

TEST_CASE("subprocess: works when the caller's stdin is closed (a pipe end lands on fd 0)", "[subprocess]") {
  const int saved = ::dup(0);
  REQUIRE(saved >= 0);
  ::close(0);
  SubprocessOptions o;
  o.stdin_text = "through fd 0\n";
  const auto r = run_subprocess({"cat"}, o);
  ::dup2(saved, 0);
  ::close(saved);
  CHECK(r.ok());
  CHECK(r.stdout_text == "through fd 0\n");
}
