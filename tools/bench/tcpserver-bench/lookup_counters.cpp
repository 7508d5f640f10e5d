#include "tools/bench/tcpserver-bench/lookup_counters.h"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "rules/base/error_str.h"

namespace ucspi::bench {
namespace {

constexpr std::size_t kinds = 4;
constexpr std::size_t bytes = kinds * sizeof(unsigned long);

unsigned long load(unsigned long& counter) {
  return std::atomic_ref<unsigned long>(counter).load(std::memory_order_relaxed);
}

}  // namespace

LookupCounters::LookupCounters()
    : shared_(static_cast<unsigned long*>(
          mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0))) {
  if (shared_ == MAP_FAILED)
    throw std::runtime_error(std::string("unable to map the lookup counters: ") + error_str(errno));
}

LookupCounters::~LookupCounters() { munmap(shared_, bytes); }

void LookupCounters::count(Kind kind) {
  std::atomic_ref<unsigned long>(shared_[kind]).fetch_add(1, std::memory_order_relaxed);
}

LookupTally LookupCounters::read() const {
  return {load(shared_[ptr]), load(shared_[a]), load(shared_[other]), load(shared_[ident])};
}

}  // namespace ucspi::bench
