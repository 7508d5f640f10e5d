// What the scripted DNS server and identd were asked, counted in their own processes and read
// by the harness: a page of memory shared across their fork. The counts show that the servers
// under test really did their lookups (a scenario whose lookups silently failed would measure
// nothing but timeouts or, worse, nothing at all).
#pragma once

namespace ucspi::bench {

struct LookupTally {
  unsigned long ptr = 0;    // PTR queries answered
  unsigned long a = 0;      // A queries answered (-p's forward check)
  unsigned long other = 0;  // any other question: answered NXDOMAIN
  unsigned long ident = 0;  // RFC 1413 queries answered

  LookupTally operator-(const LookupTally& before) const {
    return {ptr - before.ptr, a - before.a, other - before.other, ident - before.ident};
  }
};

class LookupCounters {
 public:
  LookupCounters();  // throws std::runtime_error when the page cannot be mapped
  LookupCounters(const LookupCounters&) = delete;
  LookupCounters& operator=(const LookupCounters&) = delete;
  ~LookupCounters();

  enum Kind { ptr, a, other, ident };
  void count(Kind kind);
  LookupTally read() const;

 private:
  unsigned long* shared_;  // one counter per Kind, mapped MAP_SHARED before the forks
};

}  // namespace ucspi::bench
