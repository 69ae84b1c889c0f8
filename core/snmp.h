/* SPDX-License-Identifier: MIT */
/*
 * Counters, named as in /proc/net/snmp and /proc/net/netstat so that
 * `sockshim stat` reads like `netstat -s`. One struct per MIB; the X-macro
 * lists are the only place a counter name is written.
 */
#ifndef SOCKSHIM_SNMP_H
#define SOCKSHIM_SNMP_H

#include <stdint.h>

/* One list per MIB, kept one counter per line by hand. */
/* clang-format off */
#define IP_MIB(X) \
	X(InReceives) \
	X(InHdrErrors) \
	X(InAddrErrors) \
	X(InUnknownProtos) \
	X(InDiscards) \
	X(InDelivers) \
	X(OutRequests) \
	X(OutDiscards) \
	X(OutNoRoutes) \
	X(ReasmFails) \
	X(FragFails) \
	X(InTruncatedPkts) \
	X(InCsumErrors) \
	X(ReasmReqds) \
	X(ReasmOKs) \
	X(ReasmTimeout) \
	X(FragOKs) \
	X(FragCreates)

#define ICMP_MIB(X) \
	X(InMsgs) \
	X(InErrors) \
	X(InCsumErrors) \
	X(InDestUnreachs) \
	X(InParmProbs) \
	X(InEchos) \
	X(InEchoReps) \
	X(OutMsgs) \
	X(OutErrors) \
	X(OutDestUnreachs) \
	X(OutParmProbs) \
	X(OutEchos) \
	X(OutEchoReps)

#define TCP_MIB(X) \
	X(ActiveOpens) \
	X(PassiveOpens) \
	X(AttemptFails) \
	X(EstabResets) \
	X(CurrEstab) \
	X(InSegs) \
	X(OutSegs) \
	X(RetransSegs) \
	X(InErrs) \
	X(OutRsts) \
	X(InCsumErrors)

#define UDP_MIB(X) \
	X(InDatagrams) \
	X(NoPorts) \
	X(InErrors) \
	X(OutDatagrams) \
	X(RcvbufErrors) \
	X(SndbufErrors) \
	X(InCsumErrors) \
	X(IgnoredMulti)

/* Link-level counters (not in /proc/net/snmp; named like /proc/net/dev). */
#define LINK_MIB(X) \
	X(RxFrames) \
	X(RxBytes) \
	X(RxDropped) \
	X(RxOtherhostDropped) \
	X(RxErrors) \
	X(TxFrames) \
	X(TxBytes) \
	X(TxDropped) \
	X(ArpRequestsIn) \
	X(ArpRepliesIn) \
	X(ArpRequestsOut) \
	X(ArpRepliesOut) \
	X(ArpQueueDrops)

/* TcpExt (/proc/net/netstat) */
#define TCPEXT_MIB(X) \
	X(TCPTimeouts) \
	X(TCPOFOQueue) \
	X(TCPOFODrop) \
	X(PruneCalled) \
	X(OfoPruned) \
	X(RcvPruned) \
	X(TCPRcvCollapsed) \
	X(TCPRcvCoalesce) \
	X(TCPMemoryPressures) \
	X(TCPMemoryPressuresChrono) \
	X(TCPAbortOnData) \
	X(TCPAbortOnTimeout) \
	X(TCPAbortOnMemory) \
	X(TCPAbortOnLinger) \
	X(ListenOverflows) \
	X(ListenDrops) \
	X(TW) \
	X(TCPBacklogDrop) \
	X(TCPRcvQDrop) \
	X(PAWSActive) \
	X(PAWSEstab) \
	X(PAWSOldAck) \
	X(PAWSTimewait) \
	X(TSEcrRejected) \
	X(TCPACKSkippedSynRecv) \
	X(TCPACKSkippedPAWS) \
	X(TCPACKSkippedSeq) \
	X(TCPACKSkippedChallenge) \
	X(TCPACKSkippedTimeWait) \
	X(TCPChallengeACK) \
	X(TCPSYNChallenge) \
	X(TCPDeferAcceptDrop) \
	X(SyncookiesSent) \
	X(SyncookiesRecv) \
	X(SyncookiesFailed) \
	X(EmbryonicRsts) \
	X(TCPReqQFullDoCookies) \
	X(TCPReqQFullDrop) \
	X(TCPAckCompressed) \
	X(DelayedACKs) \
	X(DelayedACKLost) \
	X(TCPDSACKOldSent) \
	X(TCPDSACKOfoSent) \
	X(TCPOFOMerge) \
	X(TCPMD5NotFound) \
	X(TCPMD5Unexpected) \
	X(TCPMD5Failure) \
	X(TCPLostRetransmit) \
	X(TCPSynRetrans) \
	X(TCPLossProbes) \
	X(TCPLossProbeRecovery) \
	X(TCPSackRecovery) \
	X(TCPRenoRecovery) \
	X(TCPSackRecoveryFail) \
	X(TCPRenoRecoveryFail) \
	X(TCPLossFailures) \
	X(TCPSackFailures) \
	X(TCPRenoFailures) \
	X(TCPDSACKRecv) \
	X(TCPDSACKOfoRecv) \
	X(TCPDSACKIgnoredDubious) \
	X(TCPDSACKRecvSegs) \
	X(TCPSACKReorder) \
	X(TCPRenoReorder) \
	X(TCPTSReorder) \
	X(TCPDSACKUndo) \
	X(TCPFullUndo) \
	X(TCPPartialUndo) \
	X(TCPLossUndo) \
	X(TCPSpuriousRTOs) \
	X(TCPFastOpenActive) \
	X(TCPFastOpenActiveFail) \
	X(TCPFastOpenPassive) \
	X(TCPFastOpenPassiveFail) \
	X(TCPFastOpenListenOverflow) \
	X(TCPFastOpenCookieReqd) \
	X(TCPFastOpenPassiveAltKey) \
	X(TCPMTUPFail) \
	X(TCPMTUPSuccess) \
	X(TCPDeliveredCE) \
	X(TCPWantZeroWindowAdv) \
	X(TCPToZeroWindowAdv) \
	X(TCPFromZeroWindowAdv)

/* clang-format on */

#define SNMP_FIELD(name) uint64_t name;
struct ip_mib {
	IP_MIB(SNMP_FIELD)
};
struct icmp_mib {
	ICMP_MIB(SNMP_FIELD)
};
struct tcp_mib {
	TCP_MIB(SNMP_FIELD)
};
struct udp_mib {
	UDP_MIB(SNMP_FIELD)
};
struct link_mib {
	LINK_MIB(SNMP_FIELD)
};
struct tcpext_mib {
	TCPEXT_MIB(SNMP_FIELD)
};
#undef SNMP_FIELD

struct net_mib {
	struct ip_mib ip;
	struct icmp_mib icmp;
	struct tcp_mib tcp;
	struct udp_mib udp;
	struct udp_mib udplite;
	struct link_mib link;
	struct tcpext_mib tcpext;
};

#define __IP_INC_STATS(net, field)     ((net)->mib.ip.field++)
#define __ICMP_INC_STATS(net, field)   ((net)->mib.icmp.field++)
#define __TCP_INC_STATS(net, field)    ((net)->mib.tcp.field++)
#define __UDP_INC_STATS(net, field)    ((net)->mib.udp.field++)
#define __LINK_INC_STATS(net, field)   ((net)->mib.link.field++)
#define __NET_INC_STATS(net, field)    ((net)->mib.tcpext.field++)
#define __NET_ADD_STATS(net, field, n) ((net)->mib.tcpext.field += (n))

/* Writes the counters as "Ip: InReceives=12 ..." lines; returns bytes written. */
struct net;
int snmp_format(const struct net *net, char *buf, int len);

#endif
