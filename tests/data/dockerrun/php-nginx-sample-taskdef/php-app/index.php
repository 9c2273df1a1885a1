<?php echo 'Hello'; ?>
