# Python's ftplib against an FTP server: a passive (PASV) and an active
# (PORT: the server connects back to a socket the client listens on)
# retrieval of FILE, each printed as its length and SHA-256, then the
# listing. usage: ftp_client.py HOST PORT FILE
import ftplib, hashlib, sys


def digest(b):
    return f"{len(b)} {hashlib.sha256(b).hexdigest()}"


f = ftplib.FTP()
f.connect(sys.argv[1], int(sys.argv[2]), timeout=30)
f.login()
for passive in (True, False):
    f.set_pasv(passive)
    got = bytearray()
    f.retrbinary("RETR " + sys.argv[3], got.extend)
    print("pasv" if passive else "port", digest(got))
f.set_pasv(True)
print(sorted(f.nlst()))
f.quit()
