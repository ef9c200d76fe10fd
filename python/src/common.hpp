// SPDX-License-Identifier: MIT
// Shared wiring of the Python module: long calls without the GIL and with Ctrl-C mapped to
// matopt::request_cancel(), and tables of cell text (the in-memory form of a CSV file).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <csignal>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "matopt/core/cancel.hpp"
#include "matopt/core/csv.hpp"

namespace matopt::python {

namespace py = pybind11;

/// While alive (on Python's main thread, with Python's default SIGINT handler in place), SIGINT
/// requests cancellation of the running matopt call instead of waiting for the call to return.
class SigintToCancel {
 public:
  SigintToCancel();
  ~SigintToCancel();
  SigintToCancel(const SigintToCancel&) = delete;
  SigintToCancel& operator=(const SigintToCancel&) = delete;

 private:
  bool installed_ = false;
  struct sigaction previous_ {};
};

/// Runs fn() without the GIL; Ctrl-C stops it with KeyboardInterrupt (matopt::Cancelled is
/// translated). A Ctrl-C that arrives after the work's last cancellation point is handed back to
/// Python, which raises KeyboardInterrupt as soon as the call returns.
template <class F>
auto without_gil(F&& fn) {
  SigintToCancel guard;
  struct Redeliver {
    ~Redeliver() {
      if (cancel_requested() && !std::uncaught_exceptions()) PyErr_SetInterrupt();
      clear_cancel();
    }
  } redeliver;
  py::gil_scoped_release release;
  return fn();
}

/// A table from column-wise cell text (what matopt/_tables.py makes of a DataFrame).
CsvTable table_from_columns(const std::string& name, const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& columns);

void bind_core(py::module_& m);
void bind_models(py::module_& m);
void bind_campaign(py::module_& m);

}  // namespace matopt::python
