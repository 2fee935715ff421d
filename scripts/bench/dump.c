/*
 * Records an rtnetlink route dump for the decode benchmark (scripts/bench.ts).
 *
 * Sends RTM_GETROUTE with NLM_F_DUMP for AF_INET, rtm_table 0 (every table), and writes
 * every datagram the kernel returns, NLMSG_DONE included, to OUT as
 *   [u32 length, host order][length bytes] ...
 * Run inside the benchmark's namespace: ip netns exec NS ./dump OUT [RECVBUF]
 * RECVBUF (default 32768, as iproute2) sizes the receive buffer, which the kernel uses to
 * size each dump datagram. Prints "datagrams routes bytes" on stdout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

struct counts {
	unsigned long routes;
	int dump_intr;
};

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counts *c = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->dump_intr = 1;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		c->routes++;
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s OUT [RECVBUF]\n", argv[0]);
		return 2;
	}
	size_t bufsize = argc > 2 ? strtoul(argv[2], NULL, 10) : 32768;
	if (bufsize < 4096)
		bufsize = 4096;
	char *buf = malloc(bufsize);
	FILE *out = fopen(argv[1], "wb");
	if (!buf || !out) {
		perror(argv[1]);
		return 1;
	}

	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("mnl_socket");
		return 1;
	}
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = (unsigned int)time(NULL);

	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("mnl_socket_sendto");
		return 1;
	}

	struct counts c = { 0, 0 };
	unsigned long datagrams = 0, bytes = 0;
	int ret;
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, bufsize);
		if (n < 0) {
			perror("mnl_socket_recvfrom");
			return 1;
		}
		uint32_t len = (uint32_t)n;
		if (fwrite(&len, sizeof(len), 1, out) != 1 || fwrite(buf, 1, len, out) != len) {
			perror(argv[1]);
			return 1;
		}
		datagrams++;
		bytes += len;
		ret = mnl_cb_run(buf, n, seq, portid, count_cb, &c);
	} while (ret > MNL_CB_STOP);
	if (ret < 0) {
		perror("dump");
		return 1;
	}
	if (c.dump_intr) {
		fprintf(stderr, "dump interrupted (NLM_F_DUMP_INTR): the tables changed during the dump\n");
		return 3;
	}
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	mnl_socket_close(nl);
	printf("%lu %lu %lu\n", datagrams, c.routes, bytes);
	return 0;
}
