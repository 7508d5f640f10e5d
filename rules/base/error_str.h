// djb's error_str(): the wording ucspi-tcp prints after "fatal: ...: ".
// Our messages must match the reference byte for byte, so strerror() is never used.
#pragma once

namespace ucspi {

const char* error_str(int err);

}  // namespace ucspi
