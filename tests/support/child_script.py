"""The program tcpserver runs in a test: a shell script written into the test's directory."""
import os


def write_child(directory, text, name="child.sh"):
    """Writes text as an executable script in directory and returns its path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path
