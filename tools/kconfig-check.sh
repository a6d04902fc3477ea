#!/bin/sh
# usage: kconfig-check.sh NAME FRAGMENT DOTCONFIG
# Every value the config fragment asks for must have survived Kconfig in
# DOTCONFIG: "CONFIG_X=v" lines literally, "# CONFIG_X is not set" lines
# as absent. Reports each difference prefixed with NAME; exit 1 if any.
name=$1 frag=$2 config=$3
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		if ! grep -qxF "$line" "$config"; then
			echo "$name: config: wanted $line, got: $(grep "^${line%%=*}=\|^# ${line%%=*} is not set" "$config")" >&2
			bad=1
		fi ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		if grep -q "^$sym=" "$config"; then
			echo "$name: config: wanted $sym unset, got: $(grep "^$sym=" "$config")" >&2
			bad=1
		fi ;;
	esac
done < "$frag"
exit $bad
