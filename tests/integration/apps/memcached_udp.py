# memcached's UDP protocol: one "get KEY" in a frame (8-byte header), the
# answer printed without its header. usage: memcached_udp.py HOST PORT KEY
import socket, sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"\x00\x01\x00\x00\x00\x01\x00\x00get %s\r\n" % sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(2000)[0][8:].decode().replace("\r\n", " | "))
