// SPDX-License-Identifier: MIT
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/version.hpp"
#include "screen_mpi.hpp"

int main(int argc, char** argv) {
  using namespace matopt::cli;
  MpiSession mpi(argc, argv);
  Context ctx;
  for (int i = 0; i < argc; ++i) ctx.argv.emplace_back(argv[i]);

  CLI::App app{"matopt: closed-loop materials optimization (featurize, surrogates, multi-objective BO, campaigns)",
               "matopt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", matopt::version());
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, "More log output (repeat for more: -vv debug)");
  app.parse_complete_callback([&] { matopt::set_verbosity(verbosity); });

  register_data_commands(app, ctx);
  register_featurize_commands(app, ctx);
  register_model_commands(app, ctx);
  register_campaign_commands(app, ctx);
  register_bench_commands(app, ctx);
  register_screen_command(app, ctx);
  register_evaluate_command(app, ctx);
  register_explain_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "matopt: %s\n", e.what());
    return mpi.fail(kExitUsage);
  } catch (const matopt::InvalidArgument& e) {
    std::fprintf(stderr, "matopt: error: %s\n", e.what());
    return mpi.fail(kExitUsage);
  } catch (const matopt::Error& e) {
    std::fprintf(stderr, "matopt: error: %s\n", e.what());
    return mpi.fail(kExitData);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "matopt: internal error: %s\n", e.what());
    return mpi.fail(kExitData);
  }
  return kExitOk;
}
