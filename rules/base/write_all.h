// write(2) until every byte is out: partial writes and EINTR resumed, as djb's buffer_put.
#pragma once

#include <string_view>

namespace ucspi {

// 0 when all of data reached fd, else the errno of the failure (EIO for a write of nothing).
int write_all(int fd, std::string_view data);

}  // namespace ucspi
