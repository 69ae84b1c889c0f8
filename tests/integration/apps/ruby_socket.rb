# Ruby's socket library. server: TCPServer with a thread per connection
# (reads to EOF with readpartial, answers the length and SHA-256, then
# sends FILE back) beside a UDPSocket on the same port that echoes each
# datagram with recvfrom_nonblock after IO.select. client: Socket.tcp with
# connect_timeout (a non-blocking connect), write of FILE, close_write,
# the answers; a refused Socket.tcp (PORT+100); datagrams on a connected
# UDPSocket (each sent again after 5 s without an answer, three times at
# most). usage: ruby_socket.rb server PORT FILE | client HOST PORT FILE
require 'socket'
require 'digest'

mode, *args = ARGV
if mode == 'server'
  port, file = Integer(args[0]), args[1]
  data = File.binread(file)
  udp = UDPSocket.new
  udp.bind('0.0.0.0', port)
  Thread.new do
    loop do
      IO.select([udp])
      begin
        d, from = udp.recvfrom_nonblock(65535)
      rescue IO::WaitReadable
        next
      end
      udp.send(d, 0, from[3], from[1])
    end
  end
  srv = TCPServer.new('0.0.0.0', port)
  loop do
    Thread.new(srv.accept) do |c|
      h, n = Digest::SHA256.new, 0
      begin
        loop { b = c.readpartial(65536); h << b; n += b.bytesize }
      rescue EOFError
      end
      c.write("#{n} #{h.hexdigest}\n", data)
      c.close
    end
  end
end

host, port, file = args[0], Integer(args[1]), args[2]
data = File.binread(file)
s = Socket.tcp(host, port, connect_timeout: 20)
s.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, true)
s.write(data)
s.close_write
puts "put #{s.gets}"
got = s.read
s.close
puts "back #{got.bytesize} #{Digest::SHA256.hexdigest(got)} #{got == data}"
begin
  Socket.tcp(host, port + 100, connect_timeout: 20)
  puts 'refused no'
rescue SystemCallError => e
  puts "refused #{e.class}"
end
u = UDPSocket.new
u.connect(host, port)
[10, 1400, 8000].each do |len|
  msg, got = 'r' * len, nil
  3.times do
    u.send(msg, 0)
    next unless IO.select([u], nil, nil, 5)
    got = u.recv(65535)
    break
  end
  raise 'no answer to a datagram' unless got
  puts "udp #{got.bytesize} #{got == msg}"
end
