// The loopback ceiling for the HTTP benchmarks: the least an HTTP/1.1 server can do per request
// (epoll, one thread per core with SO_REUSEPORT, a fixed 200 answer to every request). Linli's
// figures are reported as ratios to this server's, measured in the same run on the same machine.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0) {
    perror("listen");
    std::exit(1);
  }
  return fd;
}

void Serve(int port) {
  int lfd = Listen(port);
  int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = lfd}};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::unordered_map<int, std::string> pending;  // bytes of an incomplete request, per connection
  std::vector<epoll_event> events(1024);
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{EPOLLIN, {.fd = c}};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        pending.erase(fd);
        close(fd);
        continue;
      }
      std::string& data = pending[fd];
      data.append(buf, static_cast<std::size_t>(r));
      std::string out;
      std::size_t pos;
      while ((pos = data.find("\r\n\r\n")) != std::string::npos) {
        data.erase(0, pos + 4);  // GET requests only: no bodies
        out += kResponse;
      }
      if (!out.empty() && write(fd, out.data(), out.size()) < 0) {
        pending.erase(fd);
        close(fd);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 8099;
  int threads = argc > 2 ? std::atoi(argv[2]) : static_cast<int>(std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(Serve, port);
  std::printf("baseline serving 127.0.0.1:%d with %d threads\n", port, threads);
  std::fflush(stdout);
  Serve(port);
}
