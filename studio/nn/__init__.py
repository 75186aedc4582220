"""Reference networks that more than one plugin builds on (Qt-free, torch only).

Plugins reach them through ``studio.api`` (never by importing another plugin);
each network is one readable file.
"""
