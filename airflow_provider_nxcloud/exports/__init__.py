"""Vendor records exported to object storage: one JSON Lines file per data interval.

An export reads every record of the task's data interval (``data_interval_start`` to
``data_interval_end``) from a vendor's record query, in as many queries as the vendor's
documented limits require and no more, and writes them to an ``ObjectStoragePath``:

* :mod:`.engine` pages through a :class:`~.engine.RecordSource` window by window, writes
  each page as its own part object, then records the page in the task's progress;
* :mod:`.files` merges the parts into one temporary object and moves it to the interval's
  path (the file appears whole or not at all);
* :mod:`.progress` keeps which pages are written, across the tries of the task instance;
* :mod:`.checks` and :mod:`.values` are what every source shares: the checks of its
  parameters before any request and of its pages, and the reading of a record's text and stamps;
* :mod:`.nxcloud_sms`, :mod:`.fonedynamics_messages` and :mod:`.buka_call_center` say how
  each vendor's records are queried and how each record becomes a line of the documented schema.

Vendor-free except the sources, which get everything vendor-specific from their hook's
methods and from ``platforms/``.
"""
