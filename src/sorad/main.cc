// sorad: the Sora mail store daemon.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sora/module.h"
#include "sorad/supervisor.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: sorad [-c FILE] [-n [--changed] | -t | --dump-schema]\n"
               "       sorad --version | -h\n"
               "\n"
               "Runs the Sora mail store in the foreground: a supervisor process and its\n"
               "workers, as configured in sora.conf.\n"
               "\n"
               "  -c, --config FILE  configuration file (default %s)\n"
               "  -n, --print        print the effective configuration and exit\n"
               "      --changed      with -n: only the keys set in the file\n"
               "  -t, --test         check the configuration, modules and certificates, then exit\n"
               "      --dump-schema  print every key of the core and of the modules listed in\n"
               "                     the file (section, key, type, default, flags, meaning);\n"
               "                     the rest of the file is not read\n"
               "      --version      print the version and exit\n"
               "  -h, --help         print this help and exit\n"
               "\n"
               "Signals: SIGHUP reloads the configuration and TLS certificates; SIGTERM and\n"
               "SIGINT stop accepting, let sessions finish (shutdown_timeout) and exit.\n"
               "Exit status: 0 after a clean stop or check, 1 on a runtime failure,\n"
               "64 on a usage error, 78 on a configuration or schema error.\n",
               sora::default_config_path().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  sora::DaemonOptions opts;
  opts.config_path = sora::default_config_path();
  enum { kVersion = 256, kChanged, kDumpSchema };
  static const option long_opts[] = {
      {"config", required_argument, nullptr, 'c'}, {"print", no_argument, nullptr, 'n'},
      {"test", no_argument, nullptr, 't'},         {"changed", no_argument, nullptr, kChanged},
      {"version", no_argument, nullptr, kVersion}, {"help", no_argument, nullptr, 'h'},
      {"dump-schema", no_argument, nullptr, kDumpSchema},
      {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "c:nth", long_opts, nullptr)) != -1) {
    switch (c) {
      case 'c':
        opts.config_path = optarg;
        opts.config_given = true;
        break;
      case 'n': opts.print_config = true; break;
      case 't': opts.test_config = true; break;
      case kChanged: opts.only_changed = true; break;
      case kDumpSchema: opts.dump_schema = true; break;
      case kVersion:
        std::printf("sorad (Sora) %s\nbuild: %s\nmodule ABI: %u\n", SORA_VERSION_STRING,
                    SORA_BUILD_SIGNATURE, SORA_MODULE_ABI_VERSION);
        return 0;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return sora::kExitUsage;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "sorad: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return sora::kExitUsage;
  }
  if (opts.dump_schema) return sora::dump_schema(opts);
  if (opts.print_config && opts.test_config) {
    std::fprintf(stderr, "sorad: -n and -t cannot be combined\n");
    return sora::kExitUsage;
  }
  if (opts.only_changed && !opts.print_config) {
    std::fprintf(stderr, "sorad: --changed goes with -n\n");
    return sora::kExitUsage;
  }
  return sora::run_daemon(opts);
}
