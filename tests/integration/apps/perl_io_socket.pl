# Perl's IO::Socket::INET and IO::Select. server: a TCP listener (ReuseAddr)
# whose connections a forked child serves ("PUT\n" then bytes to EOF: it
# answers their length and SHA-256; "GET\n": it sends FILE and closes),
# beside a UDP socket on the same port that answers each datagram in upper
# case. client: PUT of FILE with TCP_NODELAY and SO_KEEPALIVE set and a
# half-close, GET of FILE read through IO::Select, and three datagrams (each
# sent again after 5 s without an answer, three times at most).
# usage: perl_io_socket.pl server PORT FILE | client HOST PORT FILE
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_KEEPALIVE);
use Digest::SHA;

my ($mode, @a) = @ARGV;
$SIG{CHLD} = 'IGNORE';

sub slurp { local $/; open(my $f, '<:raw', $_[0]) or die "$_[0]: $!"; return <$f>; }

if ($mode eq 'server') {
	my ($port, $file) = @a;
	my $l = IO::Socket::INET->new(LocalPort => $port, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
	  or die "listen: $!";
	my $u = IO::Socket::INET->new(LocalPort => $port, Proto => 'udp') or die "udp: $!";
	my $sel = IO::Select->new($l, $u);
	while (1) {
		for my $s ($sel->can_read) {
			if ($s == $u) {
				my $peer = $u->recv(my $d, 65535) // next;
				$u->send(uc $d, 0, $peer);
				next;
			}
			my $c = $l->accept or next;
			next if fork;
			my $cmd = <$c>;
			if ($cmd eq "GET\n") {
				print $c slurp($file);
			} else {
				my $h = Digest::SHA->new(256);
				my ($n, $buf) = (0);
				while (my $r = read($c, $buf, 65536)) { $h->add($buf); $n += $r; }
				print $c "$n ", $h->hexdigest, "\n";
			}
			close $c;
			exit 0;
		}
	}
}

my ($host, $port, $file) = @a;
my $c = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 20)
  or die "connect: $!";
$c->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1) or die "nodelay: $!";
$c->setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1) or die "keepalive: $!";
print "options ", $c->getsockopt(IPPROTO_TCP, TCP_NODELAY) ? 1 : 0, " ",
  $c->getsockopt(SOL_SOCKET, SO_KEEPALIVE) ? 1 : 0, "\n";
print $c "PUT\n", slurp($file);
$c->shutdown(1) or die "shutdown: $!";
print "put ", scalar <$c>;
close $c;

$c = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 20)
  or die "connect: $!";
$c->autoflush(1);
print $c "GET\n";
my ($h, $n, $buf, $sel) = (Digest::SHA->new(256), 0, '', IO::Select->new($c));
while (1) {
	$sel->can_read(30) or die "GET: no data in 30 s";
	my $r = sysread($c, $buf, 65536) // die "read: $!";
	last unless $r;
	$h->add($buf);
	$n += $r;
}
print "get $n ", $h->hexdigest, "\n";

my $u = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'udp') or die "udp: $!";
$sel = IO::Select->new($u);
for my $w ('one', 'two', 'x' x 1400) {
	my $got;
	for (1 .. 3) {
		$u->send($w) or die "send: $!";
		if ($sel->can_read(5)) { $u->recv($got, 65535) // die "recv: $!"; last; }
	}
	defined $got or die "no answer to a datagram";
	print "udp ", length $got, " ", substr($got, 0, 3), "\n";
}
