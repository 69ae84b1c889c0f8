/* SPDX-License-Identifier: MIT */
/*
 * Prints every IPv4 address getifaddrs() lists, one "NAME ADDR NETMASK"
 * line each (test_ifaddrs.sh compares the stack's address natively and
 * under the shim). Exits 1 if getifaddrs fails.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

int main(void)
{
	struct ifaddrs *ifs, *i;
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	if (getifaddrs(&ifs)) {
		perror("getifaddrs");
		return 1;
	}
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof(a));
		if (i->ifa_netmask)
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, m,
				  sizeof(m));
		else
			snprintf(m, sizeof(m), "none");
		printf("%s %s %s\n", i->ifa_name, a, m);
	}
	freeifaddrs(ifs);
	return 0;
}
