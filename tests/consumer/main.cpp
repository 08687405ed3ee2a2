// Uses the installed hold: builds two presets' SDEs and prints their number of
// blocks and hold's version (checked by the test "install.consumer").
#include <iostream>

#include "hold/core/build_info.h"
#include "hold/sde/presets.h"

int main() {
  for (const char* name : {"hold", "cld"}) {
    hold::SdeConfig config;
    config.name = name;
    config.validate();
    std::cout << "preset " << name << " blocks " << hold::make_sde(config).num_blocks() << "\n";
  }
  std::cout << "hold version " << hold::hold_version() << "\n";
  return 0;
}
