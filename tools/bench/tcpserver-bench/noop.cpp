// The cheapest process this machine can start: static, no C++ runtime to set up, nothing to
// do. The store curve times it beside relay-allow (also static) and /bin/true (dynamic), so
// that what relay-allow itself adds to a login is the difference, whatever process start
// costs on the machine at hand.
int main() { return 0; }
