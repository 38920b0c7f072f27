// Logging: one line per event, to stderr or syslog, filtered by level.
#pragma once

#include <cstdarg>

namespace sora {

enum class LogLevel { debug = 0, info, notice, warning, error };

void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogLevel level, const char* fmt, va_list ap);
bool log_enabled(LogLevel level);

#define SORA_LOG_DEBUG(...) \
  do { if (::sora::log_enabled(::sora::LogLevel::debug)) ::sora::log(::sora::LogLevel::debug, __VA_ARGS__); } while (0)
#define SORA_LOG_INFO(...) ::sora::log(::sora::LogLevel::info, __VA_ARGS__)
#define SORA_LOG_NOTICE(...) ::sora::log(::sora::LogLevel::notice, __VA_ARGS__)
#define SORA_LOG_WARNING(...) ::sora::log(::sora::LogLevel::warning, __VA_ARGS__)
#define SORA_LOG_ERROR(...) ::sora::log(::sora::LogLevel::error, __VA_ARGS__)

}  // namespace sora
