# bash completion for clerk-credential and its aliases git-credential-clerk,
# docker-credential-clerk and terraform-credentials-clerk.
#
# Installed as $datadir/bash-completion/completions/clerk-credential (and
# one link per alias), or sourced by hand:
#   . docs/completions/clerk-credential.bash
# The lists below are checked against `clerk-credential --help` by
# tests/integration/test_completion.py.

_clerk_credential_commands="get store erase login logout token header whoami
status doctor version docker kubectl bazel terraform cargo configure unconfigure help"

_clerk_credential_options="--issuer --client-id --scopes --resource --host --profile
--storage --callback-port --username --timeout --refresh-margin
--signin-cooldown --flow --authtype --ca-file --token-file --non-interactive --verbose --quiet --config --all --prompt --switch --cargo-plugin --json
--help --version"

# Options that take a value as the next word.
_clerk_credential_valued="--issuer --client-id --scopes --resource --host --profile
--storage --callback-port --username --timeout --refresh-margin
--signin-cooldown --flow --authtype --ca-file --token-file --config --prompt"

_clerk_credential_values()
{
	# $1: option, $2: what is typed of its value
	case $1 in
	--storage) compgen -W "auto keyring file memory" -- "$2" ;;
	--flow) compgen -W "auto browser device paste" -- "$2" ;;
	--authtype) compgen -W "auto bearer basic" -- "$2" ;;
	--prompt) compgen -W "login" -- "$2" ;;
	--config | --ca-file | --token-file) compgen -f -- "$2" ;;
	esac
}

_clerk_credential_actions()
{
	# $1: command, $2: what is typed
	case $1 in
	docker) compgen -W "get store erase list version" -- "$2" ;;
	terraform) compgen -W "get store forget" -- "$2" ;;
	bazel) compgen -W "get" -- "$2" ;;
	configure | unconfigure) compgen -W "git docker" -- "$2" ;;
	help) compgen -W "$_clerk_credential_commands" -- "$2" ;;
	esac
}

_clerk_credential()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local cmd= nwords=0 i w base=${1##*/}

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The value of an option: --storage f, --storage=f
	if [[ $cur == --*=* ]]; then
		COMPREPLY=($(_clerk_credential_values "${cur%%=*}" "${cur#*=}"))
		COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		return 0
	fi
	# bash splits "--storage=f" at "=" (COMP_WORDBREAKS): "--storage" "=" "f"
	if [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		COMPREPLY=($(_clerk_credential_values \
			"${COMP_WORDS[COMP_CWORD - 2]}" "$cur"))
		return 0
	fi
	if [[ " "$_clerk_credential_valued" " == *[[:space:]]"$prev"[[:space:]]* &&
		$prev == --* ]]; then
		COMPREPLY=($(_clerk_credential_values "$prev" "$cur"))
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_clerk_credential_options" -- "$cur"))
		return 0
	fi

	# The command and how many words follow it, skipping options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == = ]]; then
			((i++))
			continue
		fi
		if [[ $w == -* ]]; then
			[[ $w != *=* && ${COMP_WORDS[i + 1]} != = &&
				" "$_clerk_credential_valued" " == \
				*[[:space:]]"$w"[[:space:]]* ]] && ((i++))
			continue
		fi
		if [[ -z $cmd ]]; then
			cmd=$w
		else
			((nwords++))
		fi
	done

	case $base in
	git-credential-clerk)
		[[ -z $cmd ]] && COMPREPLY=($(compgen -W "get store erase" -- "$cur"))
		return 0
		;;
	docker-credential-clerk | terraform-credentials-clerk)
		[[ -z $cmd ]] && COMPREPLY=($(_clerk_credential_actions \
			"${base%%-*}" "$cur"))
		return 0
		;;
	esac
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$_clerk_credential_commands" -- "$cur"))
	elif ((nwords == 0)); then
		COMPREPLY=($(_clerk_credential_actions "$cmd" "$cur"))
	fi
	return 0
}

complete -F _clerk_credential clerk-credential git-credential-clerk \
	docker-credential-clerk terraform-credentials-clerk
