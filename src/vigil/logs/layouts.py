"""Line layouts of widely used plain-text logs (log4j, Spark, Hadoop, ZooKeeper, OpenStack/oslo, IBM
Blue Gene RAS, Apache error log, pipe-delimited), each a regex with named groups, the way grok patterns
work. ``ts`` is the time text (its layout recognised by ``timestamps``), the other groups become the
record's level, component, host and message; any other named group is kept as a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    name: str
    pattern: re.Pattern[str]


def _layout(name: str, rx: str) -> Layout:
    return Layout(name, re.compile(rx))


_LEVEL = r"(?P<level>[A-Za-z]+)"
LAYOUTS: list[Layout] = [
    # 2015-10-18 18:01:47,978 INFO [main] org.apache...MRAppMaster: Created MRAppMaster
    _layout("log4j-thread", r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[,.]\d{3}) " + _LEVEL
            + r" \[(?P<thread>[^\]]*)\] (?P<component>[^\s:]+): (?P<message>.*)$"),
    # 2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - msg
    _layout("zookeeper", r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) - " + _LEVEL
            + r" +\[(?P<thread>.*):(?P<component>[^:@\]]+)@(?P<line>\d+)\] - (?P<message>.*)$"),
    # nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi... [req-...] msg
    _layout("oslo", r"^(?:(?P<file>\S+) )?(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) (?P<pid>\d+) "
            + _LEVEL + r" (?P<component>\S+) \[(?P<context>[^\]]*)\] (?P<message>.*)$"),
    # 081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 ...
    _layout("hdfs", r"^(?P<ts>\d{6} \d{6}) (?P<pid>\d+) " + _LEVEL
            + r" (?P<component>[^\s:]+): (?P<message>.*)$"),
    # 17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi
    _layout("spark", r"^(?P<ts>\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) " + _LEVEL
            + r" (?P<component>[^\s:]+): (?P<message>.*)$"),
    # - 1117838570 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 R02-M1-N0 RAS KERNEL INFO message
    _layout("bgl-ras", r"^(?P<label>\S+) (?P<epoch>\d{10}) (?P<date>\d{4}\.\d{2}\.\d{2}) (?P<host>\S+) "
            r"(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.\d{6}) (?P<node>\S+) (?P<type>\S+) "
            r"(?P<component>\S+) " + _LEVEL + r" (?P<message>.*)$"),
    # [Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
    _layout("apache-error", r"^\[(?P<ts>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? "
            r"\d{4})\] "
            r"\[(?:(?P<module>[a-z_]+):)?" + _LEVEL + r"\] (?P<message>.*)$"),
    # 20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
    _layout("pipe", r"^(?P<ts>\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d{1,3})\|(?P<component>[^|]*)\|(?P<pid>\d+)\|"
            r"(?P<message>.*)$"),
    # 2024-01-02 03:04:05,678 ERROR module.name: message   (python logging, logback without thread)
    _layout("log4j", r"^(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?)"
            r" "
            r"\[?" + _LEVEL + r"\]? +(?P<component>[^\s:]+): (?P<message>.*)$"),
]
