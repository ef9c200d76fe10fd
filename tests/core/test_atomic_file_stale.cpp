// Temporaries left by a killed writer are removed; those of live processes are not.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "matopt/core/atomic_file.hpp"

namespace fs = std::filesystem;

TEST_CASE("remove_stale_temporaries removes only files of dead writers", "[atomic]") {
  const fs::path dir = fs::temp_directory_path() / "matopt_test_stale_tmp";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path target = dir / "c.h5";

  // A pid that certainly belonged to a process that has exited: a child we reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);

  auto touch = [&](const std::string& name) {
    std::ofstream(dir / name) << "partial";
    return dir / name;
  };
  const fs::path dead = touch(".c.h5.tmp" + std::to_string(child) + ".0");
  const fs::path mine = touch(".c.h5.tmp" + std::to_string(::getpid()) + ".3");
  const fs::path init = touch(".c.h5.tmp1.0");           // pid 1 is alive
  const fs::path other = touch(".d.h5.tmp" + std::to_string(child) + ".0");  // another target
  const fs::path odd = touch(".c.h5.tmpXYZ.0");          // not our naming scheme

  CHECK(matopt::AtomicFile::remove_stale_temporaries(target) == 1);
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(mine));
  CHECK(fs::exists(init));
  CHECK(fs::exists(other));
  CHECK(fs::exists(odd));
  fs::remove_all(dir);
}
