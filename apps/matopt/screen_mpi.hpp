// SPDX-License-Identifier: MIT
// The CLI's only MPI code (screen_mpi.cpp): process start-up and shut-down, and `matopt screen`'s
// split of a grid across ranks. Without MPI (MATOPT_WITH_MPI off, or not launched by mpirun) there
// is one rank and screen_across_ranks is optimize/screen.hpp's screen().
#pragma once

#include "matopt/models/model.hpp"
#include "matopt/optimize/grid.hpp"
#include "matopt/optimize/screen.hpp"

namespace matopt::cli {

/// Initializes MPI when the process was launched by mpirun/srun (and MPI is built in); finalizes it
/// at the end of main.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  /// An error on one rank ends every rank (the others may be waiting for it); returns `code`.
  int fail(int code);
};

int mpi_rank();
int mpi_size();

/// Every rank screens work items handed out dynamically (an atomic counter on rank 0), so uneven
/// costs balance; the ranks' best K are reduced to rank 0, which gets the merged result (the other
/// ranks get their own part). Work items are whole tiles, so the result equals one process's.
ScreenResult screen_across_ranks(const Model& model, const DesignGrid& grid, ScreenOptions options);

}  // namespace matopt::cli
