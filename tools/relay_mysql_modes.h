// relay-mysql's own modes beside the relay tools (relay-mysql.cpp). argv[0] is the mode name.
#pragma once

namespace ucspi {

// relay-mysql serve CONFIGFILE: the store helper tcpserver starts (relay_mysql_serve.cpp).
int relay_mysql_serve_main(int argc, char** argv);
// relay-mysql check CONFIGFILE: can the table's ip_addr column hold every address?
int relay_mysql_check_main(int argc, char** argv);

}  // namespace ucspi
