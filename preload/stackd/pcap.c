// SPDX-License-Identifier: MIT
/*
 * Capture in the classic libpcap format (what `tcpdump -r` and Wireshark
 * read): the nanosecond variant (magic 0xa1b23c4d), LINKTYPE_ETHERNET, one
 * record per frame with the stack clock as timestamp. Records are flushed
 * as they are written so that a capture is readable while the stack runs
 * and complete if it dies. Not here: pcapng, snap lengths below a frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stackd_link.h"

#define PCAP_MAGIC_NSEC	  0xa1b23c4du
#define PCAP_SNAPLEN	  262144u
#define LINKTYPE_ETHERNET 1u

struct pcap_file {
	struct pcap_writer w; /* first: the core's tap */
	FILE *f;
};

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_header {
	uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};

static void pcap_file_write(struct pcap_writer *tap, uint64_t ts_ns, const uint8_t *frame,
			    unsigned int len)
{
	struct pcap_file *w = (struct pcap_file *)tap;
	struct pcap_rec_header r = {
		.ts_sec = (uint32_t)(ts_ns / 1000000000u),
		.ts_nsec = (uint32_t)(ts_ns % 1000000000u),
		.incl_len = len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN,
		.orig_len = len,
	};

	fwrite(&r, sizeof(r), 1, w->f);
	fwrite(frame, r.incl_len, 1, w->f);
	fflush(w->f);
}

struct pcap_writer *pcap_open(const char *path, int *err)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC_NSEC,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = PCAP_SNAPLEN,
		.linktype = LINKTYPE_ETHERNET,
	};
	struct pcap_file *w = calloc(1, sizeof(*w));

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->f = fopen(path, "we");
	if (!w->f || fwrite(&h, sizeof(h), 1, w->f) != 1 || fflush(w->f)) {
		*err = -errno;
		if (w->f)
			fclose(w->f);
		free(w);
		return NULL;
	}
	w->w.write = pcap_file_write;
	*err = 0;
	return &w->w;
}

void pcap_close(struct pcap_writer *tap)
{
	struct pcap_file *w = (struct pcap_file *)tap;

	if (!w)
		return;
	fclose(w->f);
	free(w);
}
