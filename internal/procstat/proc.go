package procstat

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// RSS returns process pid's resident set size now (VmRSS), in bytes.
func RSS(pid int) (int64, error) { return readStatusKB(pid, "VmRSS") }

// RSSSplit returns the anonymous (heap, stacks) and file-backed (mmap'd
// files such as the bbolt database, which the kernel can drop) parts of
// process pid's RSS, in bytes; a part that cannot be read is 0.
func RSSSplit(pid int) (anon, file int64) {
	anon, _ = readStatusKB(pid, "RssAnon")
	file, _ = readStatusKB(pid, "RssFile")
	return anon, file
}

// readStatusKB reads a "<field>: N kB" line of /proc/<pid>/status, in bytes.
func readStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKB(f, field)
}

func parseStatusKB(f io.Reader, field string) (int64, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 1 {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, errors.New("no " + field + " line")
}

// CPUTime returns the user+system CPU time process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// parseStatCPU reads utime+stime from the text of /proc/<pid>/stat.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(stat[i+1:])
	// After the command: state(3) … utime(14) stime(15); f[0] is field 3.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed stat times")
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}
