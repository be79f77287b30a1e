// The running kernel's build configuration, where the kernel publishes it
// (/proc/config.gz with CONFIG_IKCONFIG_PROC, or /boot/config-<release>).
#pragma once

#include <optional>
#include <string>

namespace xb {

struct KernelOption {
  std::string value;   // "y", "m", or "" when "is not set"
  std::string source;  // where it was read
};

// nullopt when no configuration can be read or it does not mention the option.
std::optional<KernelOption> kernel_option(const std::string& name);

}  // namespace xb
