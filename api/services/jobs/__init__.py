"""Jobs: cutting asked for asynchronously, resumed by any worker, nothing cut twice."""
